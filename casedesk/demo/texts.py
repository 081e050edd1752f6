"""Words for demo appeals: invented people and situations, in Russian and English."""

SURNAMES_M = [
    "Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов",
    "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров",
    "Павлов", "Козлов", "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин",
    "Захаров", "Зайцев", "Соловьёв", "Борисов", "Яковлев", "Григорьев", "Романов", "Воробьёв",
]
FIRST_M = ["Александр", "Дмитрий", "Максим", "Сергей", "Андрей", "Алексей", "Артём", "Илья",
           "Кирилл", "Михаил", "Никита", "Роман", "Егор", "Иван", "Павел", "Денис", "Олег"]
FIRST_F = ["Елена", "Ольга", "Наталья", "Татьяна", "Ирина", "Светлана", "Марина", "Анна",
           "Юлия", "Екатерина", "Людмила", "Галина", "Валентина", "Надежда", "Оксана"]
PATRONYMIC_M = ["Александрович", "Дмитриевич", "Сергеевич", "Андреевич", "Алексеевич",
                "Михайлович", "Иванович", "Николаевич", "Владимирович", "Викторович"]
PATRONYMIC_F = ["Александровна", "Сергеевна", "Николаевна", "Владимировна", "Викторовна",
                "Ивановна", "Петровна", "Михайловна", "Анатольевна", "Юрьевна"]

LATIN = str.maketrans({
    "А": "A", "Б": "B", "В": "V", "Г": "G", "Д": "D", "Е": "E", "Ё": "E", "Ж": "Zh", "З": "Z",
    "И": "I", "Й": "Y", "К": "K", "Л": "L", "М": "M", "Н": "N", "О": "O", "П": "P", "Р": "R",
    "С": "S", "Т": "T", "У": "U", "Ф": "F", "Х": "Kh", "Ц": "Ts", "Ч": "Ch", "Ш": "Sh",
    "Щ": "Shch", "Ы": "Y", "Э": "E", "Ю": "Yu", "Я": "Ya", "а": "a", "б": "b", "в": "v",
    "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i", "й": "y", "к": "k",
    "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y",
    "ь": "", "э": "e", "ю": "yu", "я": "ya",
})

# What happened, by category: (Russian, English). {unit}, {date}, {place} are filled in.
SITUATIONS = {
    "wrongful_mobilization": (
        "Мой сын был мобилизован {date}, хотя у него отсрочка как у студента очной формы "
        "обучения. Военкомат не принял справку из вуза.",
        "My son was mobilized on {date} although he has a full-time student's deferment. The "
        "enlistment office refused to accept the certificate from his university.",
    ),
    "demobilization_term": (
        "Муж служит в в/ч {unit} с осени 2022 года по мобилизации. Сроков увольнения никто не "
        "называет, рапорт об увольнении не рассматривают.",
        "My husband has served in unit {unit} since the autumn of 2022 as a mobilized soldier. "
        "Nobody names a discharge date and his report asking for discharge is not considered.",
    ),
    "medical_discharge": (
        "После ранения {date} сына не направляют на военно-врачебную комиссию, хотя врачи "
        "госпиталя рекомендовали её пройти. Командир части {unit} отказывает.",
        "After he was wounded on {date} my son is not being sent to the military medical "
        "commission although the hospital doctors recommended it. The commander of unit {unit} "
        "refuses.",
    ),
    "family_discharge": (
        "У мужа трое несовершеннолетних детей, я инвалид II группы. Документы для увольнения "
        "по семейным обстоятельствам сданы {date}, ответа нет.",
        "My husband has three children under age and I have a group II disability. The papers "
        "for discharge on family grounds were handed in on {date}; there is no answer.",
    ),
    "contract_termination": (
        "Контракт сына истёк {date}, но его не увольняют и говорят, что контракт продлён "
        "автоматически. Прошу разъяснить, законно ли это.",
        "My son's contract expired on {date} but he is not discharged; he is told the contract "
        "was renewed automatically. Please explain whether this is lawful.",
    ),
    "exit_request_delay": (
        "Рапорт об увольнении подан {date} в в/ч {unit}. Прошло больше двух месяцев, рапорт "
        "не зарегистрирован и не рассмотрен.",
        "The discharge report was filed on {date} in unit {unit}. More than two months have "
        "passed; the report was neither registered nor considered.",
    ),
    "refusal_legal_question": (
        "Сыну угрожают уголовным делом за отказ идти в штурм. Что ему грозит и какие у него "
        "права? Он находится в расположении в/ч {unit}.",
        "My son is threatened with prosecution for refusing to go on an assault. What does he "
        "face and what are his rights? He is at the location of unit {unit}.",
    ),
    "record_error_awol": (
        "Сын с {date} лежит в госпитале ({place}), а в части {unit} его записали в СОЧ. "
        "Выписка из госпиталя у нас есть.",
        "Since {date} my son has been in hospital ({place}), yet unit {unit} recorded him as "
        "absent without leave. We have the hospital discharge summary.",
    ),
    "pay_suspended": (
        "С {date} мужу не выплачивают денежное довольствие. В части {unit} объясняют это "
        "ошибкой в документах.",
        "Since {date} my husband has not been paid. Unit {unit} says it is an error in the "
        "papers.",
    ),
    "insurance_payment": (
        "Сыну отказали в выплате за ранение, полученное {date}: справку о ранении не приняли "
        "из-за неверной даты.",
        "My son was refused the injury payment for the wound he received on {date}: the "
        "injury certificate was rejected because of a wrong date.",
    ),
    "medical_care": (
        "Брат после контузии жалуется на головные боли, но в части {unit} ему отказывают в "
        "направлении в госпиталь.",
        "After a concussion my brother suffers from headaches, but unit {unit} refuses to send "
        "him to hospital.",
    ),
    "missing_captivity": (
        "Связь с сыном пропала {date}. Командование в/ч {unit} не сообщает, где он. Просим "
        "помочь установить его судьбу.",
        "We lost contact with our son on {date}. The command of unit {unit} does not say "
        "where he is. We ask for help to find out what happened to him.",
    ),
    "coercion_threats": (
        "Мужа принуждают подписать контракт, угрожают отправить в штурмовое подразделение. "
        "Это происходит в в/ч {unit}.",
        "My husband is being pressed to sign a contract and threatened with transfer to an "
        "assault unit. This happens in unit {unit}.",
    ),
    "misinformation": (
        "В военкомате нам сказали, что мобилизованные служат до конца войны и обращаться "
        "бесполезно. Хотим знать правду о сроках службы.",
        "The enlistment office told us that the mobilized serve until the end of the war and "
        "that it is no use writing anywhere. We want to know the truth about service terms.",
    ),
    "service_booklet_mark": (
        "В военный билет сына внесена отметка, из-за которой его не берут на работу. Просим "
        "проверить законность записи.",
        "A mark was entered in my son's military ID booklet that keeps employers from hiring "
        "him. We ask you to check whether the entry is lawful.",
    ),
    "leave_rotation": (
        "Муж не был в отпуске с {date}, хотя положен отпуск не реже раза в полгода. Командир "
        "в/ч {unit} отпуск не предоставляет.",
        "My husband has not had leave since {date} although leave is due at least every six "
        "months. The commander of unit {unit} does not grant it.",
    ),
    "collective_petition": (
        "Мы, родственники военнослужащих в/ч {unit}, просим определить сроки службы "
        "мобилизованных и организовать ротацию. Подписи прилагаются.",
        "We, the relatives of service members of unit {unit}, ask for the service term of the "
        "mobilized to be set and for rotation to be organised. Signatures are attached.",
    ),
    "other": (
        "Прошу помочь получить ответ из военного комиссариата на моё заявление от {date}.",
        "Please help me get an answer from the enlistment office to my application of {date}.",
    ),
}

# Who the text of each category speaks of, so that the applicant writing it fits: a
# text about "my son" is written by his mother or father, about "my husband" by his wife,
# about "my brother" by his sibling. The other categories fit any applicant.
KIN = {
    "wrongful_mobilization": "son", "medical_discharge": "son", "contract_termination": "son",
    "refusal_legal_question": "son", "record_error_awol": "son", "insurance_payment": "son",
    "missing_captivity": "son", "service_booklet_mark": "son",
    "demobilization_term": "husband", "family_discharge": "husband",
    "pay_suspended": "husband", "coercion_threats": "husband", "leave_rotation": "husband",
    "medical_care": "brother",
}

REQUESTS = (
    ["Прошу провести проверку и принять меры.", "Прошу разъяснить права военнослужащего.",
     "Прошу содействия в увольнении с военной службы.", "Прошу помочь восстановить выплату."],
    ["Please investigate and take action.", "Please explain the service member's rights.",
     "Please help with the discharge from service.", "Please help restore the payment."],
)

PLACES = ["Ростов-на-Дону", "Москва", "Санкт-Петербург", "Белгород", "Курск", "Воронеж",
          "Смоленск", "Новосибирск"]
