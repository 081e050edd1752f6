"""The annual report (``casedesk.stats.report``, also ``manage.py annual_report``) as a
download from the statistics dashboard: PDF or CSV, one office and one year, in the
page's language. Only the offices whose figures the person may see
(``selectors.staff_offices``); any other office is a 404. Every download is audited."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from casedesk.audit.services import audit_record
from casedesk.core import tables as table_files

from . import report as reports
from . import selectors

FIRST_YEAR = 2000


class ReportForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int)
    office = forms.TypedChoiceField(label=_("Office"), coerce=int)
    format = forms.ChoiceField(label=_("Format"), choices=[("pdf", "PDF"), ("csv", "CSV")],
                               initial="pdf")

    def __init__(self, *args, offices, **kwargs):
        super().__init__(*args, **kwargs)
        this_year = timezone.localdate().year
        self.fields["year"].choices = [(y, str(y)) for y in range(this_year, FIRST_YEAR - 1, -1)]
        self.fields["year"].initial = this_year
        language = get_language()
        self.fields["office"].choices = [
            (o.pk, f"{o.name_en if language == 'en' else o.name_ru} ({o.code})")
            for o in offices]


def report_form(request) -> ReportForm | None:
    """The (unbound) form for the dashboard; None for a person with no office to report."""
    offices = selectors.staff_offices(request.user)
    return ReportForm(offices=offices, auto_id="report_%s") if offices else None


@login_required
def annual_report_download(request):
    offices = {o.pk: o for o in selectors.staff_offices(request.user)}
    if not offices:
        return HttpResponseForbidden(_("Your role does not allow viewing statistics."))
    # An office that is not among the person's is not a choice of the form: a 404, the
    # same as a guessed case number of another office.
    try:
        wanted = int(request.GET.get("office", ""))
    except ValueError:
        wanted = None
    if wanted is not None and wanted not in offices:
        raise Http404("office")
    form = ReportForm(request.GET, offices=list(offices.values()), auto_id="report_%s")
    if not form.is_valid():
        raise Http404("report")
    office = offices[form.cleaned_data["office"]]
    year, fmt = form.cleaned_data["year"], form.cleaned_data["format"]
    language = get_language() if get_language() in reports.LANGUAGES else "ru"
    report = reports.annual_report(office=office, year=year, language=language)
    stem = reports.file_stem(report)
    if fmt == "pdf":
        response = HttpResponse(reports.render_pdf(report), content_type="application/pdf")
    else:
        # With a byte-order mark, as manage.py annual_report writes it.
        response = HttpResponse((table_files.BOM + reports.render_csv(report)).encode(),
                                content_type=table_files.CSV_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
    response["Cache-Control"] = "private, no-store"
    audit_record(action="stats.annual_report", actor=request.user, object_type="office",
                 object_id=office.pk, data={"format": fmt, "language": language,
                                           "filters": [f"year:{year}"]})
    return response
