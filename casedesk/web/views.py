from django.shortcuts import render

from casedesk import rulebook


def home(request):
    book = rulebook.current()
    return render(request, "web/home.html", {"book": book})
