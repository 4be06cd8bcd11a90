"""The shell's pages and the helpers every domain's pages share.

The shell is what is not any one domain's: the landing page and the role landing (``home``), the
notifications page (``core.Notification``), the 404/403 pages, and the small helpers the domains'
views import from here — ``not_found``, ``forbidden``, ``web_status``, ``roles_required``,
``role_of``, ``paginate``, ``localize_iso``.  Each domain keeps its own pages in its own app
(``events/views.py``, ``disputes/views.py`` …); this module imports none of them.

A DomainError re-renders the page it came from with the message and field errors and its status
(``web_status``: ValidationFailed → 400 for a form, Conflict → 409, Forbidden → 403); NotFound (and
anything outside the user's scope) is the 404 page.
"""

from __future__ import annotations

from functools import cached_property, wraps

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.cases.scope import scan_in_order
from gridgov.core.errors import DomainError, ValidationFailed
from gridgov.core.models import Notification

PAGE_SIZE = 30
R = User.Role


# --- helpers ----------------------------------------------------------------------------------


def web_status(exc: DomainError) -> int:
    """A form that failed validation is a plain 400 on a web page."""
    return 400 if isinstance(exc, ValidationFailed) else exc.status


def not_found(request, message: str | None = None):
    return render(request, "web/not_found.html", {"message": message or _("未找到该页面或您无权查看")}, status=404)


def forbidden(request, message: str | None = None):
    return render(request, "web/forbidden.html", {"message": message or _("您无权访问此页面")}, status=403)


def role_of(user) -> str:
    """The user's role, a superuser counting as an administrator."""
    return R.ADMIN if user.is_superuser else user.role


def roles_required(*roles):
    """Logged in and one of ``roles`` (superusers count as administrators)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if role_of(request.user) not in roles:
                return forbidden(request)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


# how many rows a list counts at most: past it the total shows as "10000+" (a COUNT of a city's two million
# events costs more than the page itself, and nobody pages that far)
COUNT_CAP = 10_000
# past this many rows a list's page is read along the index of its order (its rows are dense enough in it)
IN_ORDER_ABOVE = 1_000


class CappedPaginator(Paginator):
    """A paginator whose total is counted up to ``cap`` rows, or up to the rows the requested page needs
    (``wanted``), plus one: previous and next keep working on every page, past the cap too. ``capped``: the
    total is more than ``cap`` and ``count`` only a lower bound."""

    def __init__(self, object_list, per_page, *, cap: int | None = None, wanted: int = 1,
                 known: tuple[int, bool] | None = None):
        super().__init__(object_list, per_page)
        self.cap, self.wanted = COUNT_CAP if cap is None else cap, max(wanted, 1)
        self.capped = False
        self.known = known

    @cached_property
    def count(self) -> int:
        limit = max(self.cap, self.wanted * self.per_page) + 1
        if self.known is not None:
            # counted already (a worklist's status chips, under the same filters): the exact total, or "more
            # than cap" — enough unless the requested page lies past the cap
            n, more = self.known
            if not more:
                return n
            if limit == self.cap + 1:
                self.capped = True
                return limit
        qs = self.object_list
        n = qs.order_by().values("pk")[:limit].count() if hasattr(qs, "values") else len(qs[:limit])
        # all there is when fewer than asked for came back; else a lower bound, shown as "cap+"
        self.capped = n == limit
        return n

    def page(self, number):
        """The page, its rows read now: a list of more than IN_ORDER_ABOVE rows along the index of its order
        (:func:`gridgov.cases.scope.scan_in_order`)."""
        page = super().page(number)
        if self.count > IN_ORDER_ABOVE and hasattr(page.object_list, "query"):
            with scan_in_order():
                page.object_list = list(page.object_list)
        return page


def capped_count(qs, cap: int | None = None) -> tuple[int, bool]:
    """How many rows ``qs`` holds, counted up to ``cap`` (COUNT_CAP; the count, and whether there are more)."""
    cap = COUNT_CAP if cap is None else cap
    n = qs.order_by().values("pk")[: cap + 1].count()
    return min(n, cap), n > cap


def paginate(request, qs, per_page: int | None = None, known: tuple[int, bool] | None = None):
    """The page of ``qs`` named by ``?page=`` (out of range: the last page); the total counted up to
    COUNT_CAP (:class:`CappedPaginator`), or ``known``: (the total, whether it is more than COUNT_CAP)."""
    number = request.GET.get("page")
    try:
        wanted = int(number) if number and number != "last" else 1
    except ValueError:
        wanted = 1
    return CappedPaginator(qs, per_page or PAGE_SIZE, wanted=min(wanted, 10_000_000), known=known).get_page(number)


def localize_iso(value):
    """An ISO datetime string (as in a log row's data) as a local datetime; anything else as it is."""
    if isinstance(value, str):
        dt = parse_datetime(value)
        if dt is not None:
            return timezone.localtime(dt) if timezone.is_aware(dt) else dt
    return value


# --- home -------------------------------------------------------------------------------------

# each role's first page, by URL name (the shell knows the names, not the apps behind them)
HOME_BY_ROLE = {
    R.GRID_WORKER: "events:mine",
    R.OPERATOR: "events:list",
    R.LIAISON: "events:inbox",
    R.LEADER: "events:list",
    R.ADMIN: "events:list",
    R.MEDIATOR: "disputes:list",
}


def home(request):
    if not request.user.is_authenticated:
        return render(request, "web/landing.html")
    return redirect(HOME_BY_ROLE.get(role_of(request.user), "events:list"))


# --- notifications ----------------------------------------------------------------------------


@login_required
def notifications(request):
    qs = Notification.objects.filter(recipient=request.user).order_by("-created_at", "-id")
    page = paginate(request, qs)
    rows = list(page.object_list)
    unread_ids = [n.pk for n in rows if n.read_at is None]
    if unread_ids:
        Notification.objects.filter(pk__in=unread_ids, read_at__isnull=True).update(read_at=timezone.now())
    return render(request, "web/notifications.html", {"page": page, "rows": rows, "unread_ids": set(unread_ids)})
