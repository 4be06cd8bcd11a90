"""Law library pages: search, consultation (描述您的纠纷) and a law's articles.  Thin: they call
``laws.services``.  Every signed-in user may read the library."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from gridgov.core.errors import DomainError
from gridgov.laws import services
from gridgov.laws.taxonomy import DisputeType
from gridgov.web.views import not_found


@login_required
@require_http_methods(["GET", "POST"])
def home(request):
    context: dict = {"q": request.GET.get("q", "").strip(), "description": "", "dispute_type": "",
                     "dispute_types": DisputeType.choices, "include_lapsed": request.GET.get("lapsed") == "1"}
    status = 200
    if context["q"]:
        try:
            context["results"] = services.search(context["q"], limit=30, include_lapsed=context["include_lapsed"])
        except DomainError as exc:
            context["search_error"], status = exc.message, 400
    if request.method == "POST":
        context["description"] = request.POST.get("description", "").strip()
        context["dispute_type"] = request.POST.get("dispute_type", "")
        try:
            context["consultation"] = services.consult(context["description"], k=5,
                                                       dispute_type=context["dispute_type"] or None)
        except DomainError as exc:
            context["consult_error"], status = exc.message, 400
    template = "laws/home.html"
    if request.headers.get("HX-Request") and request.GET.get("part") in ("search", "consult"):
        template = f"laws/_{request.GET['part']}.html"
    return render(request, template, context, status=status)


@login_required
def law_detail(request, pk: int):
    try:
        law = services.get_law(pk)
    except DomainError:
        return not_found(request)
    return render(request, "laws/law_detail.html", {"law": law, "articles": services.articles_of(law)})
