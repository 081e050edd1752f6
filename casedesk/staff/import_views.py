"""CSV import in the browser, for clerks, caseworkers and supervisors (docs/import.md).

Upload → the preview lists every bad cell (row, column, message in the page's language)
and imports nothing; a good file becomes an import job → "Import" queues the background
task → the job's page shows the progress (htmx polls every 2 s; without JavaScript the
page reloads itself) and then the result. The checking and importing are
``casedesk.intake.import_jobs`` (which runs the importer of ``manage.py import_appeals``).
The file never appears in a URL or a log; jobs are seen by the staff of their office only.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from casedesk.core.errors import ApplicationError
from casedesk.intake import import_jobs
from casedesk.intake.models import ImportJob

POLL_SECONDS = 2
REFRESH_SECONDS = 3  # the page reloads itself without JavaScript


class ImportForm(forms.Form):
    office = forms.TypedChoiceField(label=gettext_lazy("Office"), coerce=int)
    file = forms.FileField(label=gettext_lazy("CSV file (UTF-8, with a header row)"))

    def __init__(self, *args, offices, **kwargs):
        super().__init__(*args, **kwargs)
        language = get_language()
        self.fields["office"].choices = [(o.pk, f"{o.code} — {o.name(language)}")
                                         for o in offices]
        if len(offices) == 1:
            self.fields["office"].initial = offices[0].pk
        self.fields["file"].widget.attrs["accept"] = ".csv,text/csv"


def _offices_or_refuse(request):
    offices = import_jobs.import_offices(request.user)
    if not offices:
        return None, HttpResponseForbidden(_("Your role may not import appeals."))
    return offices, None


@login_required
def import_upload(request):
    offices, refused = _offices_or_refuse(request)
    if refused:
        return refused
    form = ImportForm(request.POST or None, request.FILES or None, offices=offices)
    context = {"nav": "import", "form": form,
               "jobs": import_jobs.import_job_list(actor=request.user)}
    if request.method == "POST" and form.is_valid():
        office = {o.pk: o for o in offices}[form.cleaned_data["office"]]
        upload = form.cleaned_data["file"]
        try:
            result, job = import_jobs.import_check(actor=request.user, office=office,
                                                   data=upload.read())
        except ApplicationError as error:
            form.add_error("file", str(error))
            return render(request, "staff/import.html", context, status=400)
        if job is not None:
            return redirect("staff:import_job", job_id=job.pk)
        context.update(result=result, office=office,
                       errors=[{"row": e.row, "column": e.column, "message": e.text()}
                               for e in result.errors])
        return render(request, "staff/import.html", context,
                      status=400 if result.errors else 200)
    return render(request, "staff/import.html", context)


def _job_or_404(request, job_id: int) -> ImportJob:
    try:
        return import_jobs.import_job_get(actor=request.user, job_id=job_id)
    except ApplicationError as error:
        raise Http404(str(error)) from None


def _progress(job: ImportJob) -> dict:
    """What the progress bar shows: the check pass is the first half (rows counted as they
    are checked); the rows are then written in one transaction, the second half, shown as
    under way until it commits."""
    S = ImportJob.State
    if job.state in (S.DONE, S.FAILED):
        percent, step = 100, ""
    elif job.state == S.RUNNING and job.rows and job.checked >= job.rows:
        percent, step = 75, _("Writing the cases (all at once, in one transaction)…")
    elif job.state == S.RUNNING:
        percent = min(50, 50 * job.checked // max(job.rows, 1))
        step = _("Checking the rows again: %(checked)s of %(rows)s…") % {
            "checked": job.checked, "rows": job.rows}
    else:
        percent, step = 0, _("Waiting for the background worker…")
    return {"percent": percent, "step": step,
            "active": job.state in import_jobs.ACTIVE}


@login_required
def import_job(request, job_id: int):
    job = _job_or_404(request, job_id)
    context = {"nav": "import", "job": job, "progress": _progress(job),
               "errors": [{"row": row, "column": column,
                           "message": import_jobs.error_text(message, params)}
                          for row, column, message, params in job.errors],
               "poll_seconds": POLL_SECONDS, "refresh_seconds": REFRESH_SECONDS}
    if request.htmx:
        return render(request, "staff/import_progress.html", context)
    return render(request, "staff/import_job.html", context)


@login_required
@require_POST
def import_start(request, job_id: int):
    _job_or_404(request, job_id)
    try:
        import_jobs.import_start(actor=request.user, job_id=job_id)
    except ApplicationError as error:
        if error.code == "not_found":
            raise Http404(str(error)) from None
        messages.error(request, str(error))
    return redirect("staff:import_job", job_id=job_id)
