"""The English paths the app answered before its paths became Indonesian (the ones users see and
share): each still answers, with a permanent redirect (308, which keeps a POST a POST) to the
page's Indonesian path and the same query string.

The entry forms and the logout are the exception for POST: a phone may keep a filled form in its
outbox under the old path and send it later without following redirects (static/sw.js), so those
are served in place and recorded exactly once, never lost to a redirect the outbox does not follow.
"""

from collections.abc import Callable

from flask import Flask
from werkzeug.routing import MapAdapter, Rule

# old path -> the endpoint that now answers it
OLD_PATHS = {
    "/account": "auth.account",
    "/account/password": "auth.change_password",
    "/account/set-password": "auth.set_password",
    "/admin/regions": "admin.regions",
    "/admin/regions/<int:region_id>/edit": "admin.edit_region",
    "/admin/regions/new": "admin.new_region",
    "/admin/schools": "admin.schools",
    "/admin/schools/<npsn>": "admin.school",
    "/admin/schools/<npsn>/deactivate": "admin.deactivate_school",
    "/admin/schools/<npsn>/edit": "admin.edit_school",
    "/admin/schools/<npsn>/end-term": "admin.end_term",
    "/admin/schools/<npsn>/reactivate": "admin.reactivate_school",
    "/admin/schools/import": "admin.import_schools",
    "/admin/schools/import/confirm": "admin.confirm_import",
    "/admin/schools/new": "admin.new_school",
    "/admin/users": "admin.users",
    "/admin/users/<int:user_id>": "admin.user",
    "/admin/users/<int:user_id>/deactivate": "admin.deactivate_user",
    "/admin/users/<int:user_id>/name": "admin.rename_user",
    "/admin/users/<int:user_id>/reactivate": "admin.reactivate_user",
    "/admin/users/<int:user_id>/reset-password": "admin.reset_password",
    "/admin/users/new": "admin.new_user",
    "/district": "district.start",
    "/district/<code>": "district.report",
    "/district/<code>/export.<any(csv, xlsx):fmt>": "district.report_export",
    "/district/kecamatan/<code>": "district.kecamatan",
    "/district/kecamatan/<code>/export.<any(csv, xlsx):fmt>": "district.kecamatan_export",
    "/home": "main.home",
    "/lang": "main.set_language",
    "/login": "auth.login",
    "/logout": "auth.logout",
    "/schools/<npsn>": "cashbook.dashboard",
    "/schools/<npsn>/antar-sekolah": "transfers.school_page",
    "/schools/<npsn>/audit": "audit.school",
    "/schools/<npsn>/bantuan/<int:request_id>/tarik": "transfers.withdraw_request",
    "/schools/<npsn>/bantuan/<int:request_id>/terpenuhi": "transfers.fulfil_request",
    "/schools/<npsn>/bantuan/baru": "transfers.new_request",
    "/schools/<npsn>/classes": "classes.add",
    "/schools/<npsn>/classes/<int:class_id>/reactivate": "classes.reactivate",
    "/schools/<npsn>/classes/<int:class_id>/rename": "classes.rename",
    "/schools/<npsn>/classes/<int:class_id>/retire": "classes.retire",
    "/schools/<npsn>/contributions/classes": "entries.class_collections",
    "/schools/<npsn>/contributions/new": "entries.new_contribution",
    "/schools/<npsn>/disbursements/new": "entries.new_disbursement",
    "/schools/<npsn>/entries/<int:entry_id>": "entries.entry",
    "/schools/<npsn>/entries/<int:entry_id>/evidence": "entries.add_evidence",
    "/schools/<npsn>/entries/<int:entry_id>/kuitansi": "receipts.kuitansi",
    "/schools/<npsn>/entries/<int:entry_id>/void": "entries.void",
    "/schools/<npsn>/evidence/<int:attachment_id>": "evidence.download",
    "/schools/<npsn>/evidence/<int:attachment_id>/supersede": "entries.supersede_evidence",
    "/schools/<npsn>/handovers": "admin.handovers",
    "/schools/<npsn>/handovers/<int:handover_id>": "admin.handover",
    "/schools/<npsn>/ledger": "cashbook.cash_book",
    "/schools/<npsn>/ledger.csv": "cashbook.cash_book_csv",
    "/schools/<npsn>/months": "months.index",
    "/schools/<npsn>/months/<month>": "months.report",
    "/schools/<npsn>/months/<month>/close": "months.close",
    "/schools/<npsn>/pending/<int:pending_id>": "approvals.pending",
    "/schools/<npsn>/pending/<int:pending_id>/approve": "approvals.approve",
    "/schools/<npsn>/pending/<int:pending_id>/reject": "approvals.reject",
    "/schools/<npsn>/recipients": "recipients.index",
    "/schools/<npsn>/recipients/<int:recipient_id>/edit": "recipients.edit",
    "/schools/<npsn>/recipients/new": "recipients.new",
    "/schools/<npsn>/settings/approval": "approvals.threshold",
    "/schools/<npsn>/summary": "district.summary",
    "/schools/<npsn>/summary.<any(csv, xlsx):fmt>": "district.summary_export",
    "/schools/<npsn>/transfers/<int:transfer_id>": "transfers.transfer",
    "/schools/<npsn>/transfers/<int:transfer_id>/void": "transfers.void_transfer",
    "/schools/<npsn>/transfers/new": "transfers.new_transfer",
    "/schools/<npsn>/transfers/pending/<int:pending_id>": "transfers.pending_transfer",
    "/schools/<npsn>/transfers/pending/<int:pending_id>/approve": "transfers.approve_transfer",
    "/schools/<npsn>/transfers/pending/<int:pending_id>/reject": "transfers.reject_transfer",
}

# what a phone's outbox may send to an old path (sas.offline.routes.OFFLINE_FORMS, the logout)
SERVED_IN_PLACE = frozenset(
    {
        "entries.class_collections",
        "entries.new_contribution",
        "entries.new_disbursement",
        "auth.logout",
    }
)


def register(app: Flask) -> None:
    """Add the old paths to the app's URL map, after every blueprint."""
    for old, endpoint in OLD_PATHS.items():
        if endpoint in SERVED_IN_PLACE:
            app.add_url_rule(old, endpoint, app.view_functions[endpoint], methods=["POST"])
            methods = ["GET"]
        else:
            methods = None  # every method: a POST is redirected as a POST
        app.url_map.add(
            Rule(old, endpoint=f"old:{endpoint}", methods=methods, redirect_to=_to(endpoint))
        )


def _to(endpoint: str) -> Callable[..., str]:
    """Werkzeug's redirect_to: the endpoint's path now, with the request's query string."""

    def target(adapter: MapAdapter, **values: object) -> str:
        path = adapter.build(endpoint, values)
        query = adapter.query_args
        return f"{path}?{query}" if query else path

    return target
