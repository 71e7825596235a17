"""Every API error is JSON, ``{"error": {"code": ..., "message": ...}}``, never an HTML page."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from sas.dberrors import is_busy
from sas.extensions import db

PREFIX = "/api/v1"  # the blueprint's url_prefix

CODES = {
    400: "bad_parameter",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    500: "internal_error",
    503: "busy",
}

MESSAGES = {
    400: "The request is not valid.",
    401: "Log in, or send an Authorization: Bearer <token> header.",
    403: "Your role may not read this.",
    404: "Not found, or outside your scope.",
    405: "The API is read-only: use GET.",
    500: "Something went wrong on the server.",
    503: "The server is busy; try again shortly.",
}


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str | None = None,
        *,
        parameter: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message or MESSAGES.get(status, ""))
        self.status = status
        self.message = message or MESSAGES.get(status, "")
        self.parameter = parameter
        self.headers = headers or {}


def bad_parameter(parameter: str, message: str) -> ApiError:
    return ApiError(400, message, parameter=parameter)


def error_response(
    status: int,
    message: str | None = None,
    parameter: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, str] = {
        "code": CODES.get(status, "error"),
        "message": message or MESSAGES.get(status, ""),
    }
    if parameter:
        body["parameter"] = parameter
    response = jsonify(error=body)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def is_api_request() -> bool:
    """A request to the API, also one that no API route matches (an unknown URL, or a method
    other than GET, HEAD and OPTIONS): Flask names no blueprint for those, so the app's own 404
    and 405 handlers ask here and answer in JSON, with the true ``Allow`` list."""
    return request.blueprint == "api" or f"{request.path}/".startswith(f"{PREFIX}/")


def register(bp: Blueprint) -> None:
    """Error handlers for the API blueprint (routing errors: see ``is_api_request``)."""

    @bp.errorhandler(ApiError)
    def api_error(error: ApiError) -> Response:
        return error_response(error.status, error.message, error.parameter, error.headers)

    def http_error(error: HTTPException) -> Response:
        # abort(404) from the scoped lookups lands here, with werkzeug's generic wording.
        status = error.code or 500
        headers = {}
        valid_methods = getattr(error, "valid_methods", None)  # MethodNotAllowed's
        if status == 405 and valid_methods:
            headers["Allow"] = ", ".join(valid_methods)
        return error_response(status, MESSAGES.get(status, error.name), headers=headers)

    # By status code as well as by class: Flask prefers the app's handlers for a code (its HTML
    # 403 and 404 pages) over a blueprint's handler for a class.
    bp.register_error_handler(HTTPException, http_error)
    for status in CODES:
        bp.register_error_handler(status, http_error)

    @bp.errorhandler(OperationalError)
    def busy(error: OperationalError) -> Response:
        db.session.rollback()
        if not is_busy(error):
            raise error
        return error_response(503, headers={"Retry-After": "1"})
