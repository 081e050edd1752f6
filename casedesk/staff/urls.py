from django.contrib.auth import views as auth_views
from django.urls import path

from . import (
    attention_views,
    campaign_views,
    deadline_views,
    duplicate_views,
    export_views,
    fact_views,
    import_views,
    review_views,
    triage_views,
    urgency_views,
    views,
)

app_name = "staff"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="staff:login"), name="logout"),
    path("", views.queues, name="queues"),
    path("register/", views.register, name="register"),
    path("supervisor/", views.supervisor, name="supervisor"),
    path("supervisor/reassign/", views.bulk_assign, name="bulk_assign"),
    path("campaigns/", campaign_views.campaigns, name="campaigns"),
    path("campaigns/<int:campaign_id>/", campaign_views.campaign, name="campaign"),
    path("campaigns/<int:campaign_id>/answer/", campaign_views.campaign_answer,
         name="campaign_answer"),
    path("cases/<str:number>/", views.case_detail, name="case"),
    path("cases/<str:number>/refer/", review_views.refer, name="refer"),
    path("commission/", review_views.commission_home, name="commission"),
    path("commission/<int:commission_id>/sessions/", review_views.session_create,
         name="session_create"),
    path("commission/sessions/<int:session_id>/", review_views.session_detail, name="session"),
    path("commission/sessions/<int:session_id>/move/", review_views.session_move,
         name="session_move"),
    path("commission/items/<int:item_id>/vote/", review_views.vote, name="vote"),
    path("commission/items/<int:item_id>/sign/", review_views.sign, name="sign"),
    path("commission/decisions/<int:decision_id>/correct/", review_views.correct,
         name="correct"),
    path("cases/<str:number>/move/<slug:transition>/", views.case_transition, name="transition"),
    path("cases/<str:number>/extend/", views.case_extend, name="extend"),
    path("cases/<str:number>/category/", views.case_reclassify, name="reclassify"),
    # Category suggestions (issue 19): accept one.
    path("cases/<str:number>/suggestions/<int:rank>/accept/", triage_views.suggestion_accept,
         name="suggestion_accept"),
    # Duplicates (issue 18): "not the same person".
    path("cases/<str:number>/duplicates/<int:flag_id>/dismiss/",
         duplicate_views.duplicate_dismiss, name="duplicate_dismiss"),
    # Urgency (issue 19): "Not urgent".
    path("cases/<str:number>/urgency/clear/", urgency_views.urgency_clear_view,
         name="urgency_clear"),
    # Facts from the text (issue 19): fill an empty field of the service member.
    path("cases/<str:number>/facts/<int:fact_id>/apply/", fact_views.fact_apply,
         name="fact_apply"),
    path("cases/<str:number>/extension/", deadline_views.extension_request,
         name="extension_request"),
    path("cases/<str:number>/extension/<int:request_id>/approve/",
         deadline_views.extension_approve, name="extension_approve"),
    path("cases/<str:number>/extension/<int:request_id>/refuse/",
         deadline_views.extension_refuse, name="extension_refuse"),
    path("cases/<str:number>/assign/", views.case_assign, name="assign"),
    path("cases/<str:number>/notes/", views.case_note, name="note"),
    path("cases/<str:number>/access-code/", views.case_access_code, name="access_code"),
    path("cases/<str:number>/letters/", views.case_letter, name="letter"),
    path("cases/<str:number>/documents/", views.case_document, name="document_add"),
    path("cases/<str:number>/documents/<int:document_id>/", views.document_file,
         name="document"),
    path("attention/", attention_views.attention_page, name="attention"),
    path("export.<str:fmt>", export_views.queue_export, name="queue_export"),
    path("import/", import_views.import_upload, name="import"),
    path("import/<int:job_id>/", import_views.import_job, name="import_job"),
    path("import/<int:job_id>/start/", import_views.import_start, name="import_start"),
]

# The answer on the merits (answer_views).
from . import answer_views  # noqa: E402

urlpatterns += [
    path("cases/<str:number>/answer/", answer_views.answer_act, name="answer"),
    path("to-post/", answer_views.to_post, name="to_post"),
    path("to-post/<int:answer_id>/posted/", answer_views.mark_posted, name="mark_posted"),
]

# The person page and merging two records of one man (issue 18, person_views).
from . import person_views  # noqa: E402

urlpatterns += [
    path("people/<int:pk>/", person_views.person, name="person"),
    path("people/<int:pk>/merge/", person_views.person_merge_view, name="person_merge"),
]
