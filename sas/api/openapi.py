"""The OpenAPI 3.1 document of the API, served at ``/api/v1/openapi.json``.

Written by hand as a dict beside the views; the tests check that every route is described, that
the document is valid OpenAPI, and that real responses match its schemas (which forbid any
property they do not list, so a name cannot slip into a response unnoticed).
"""

from __future__ import annotations

from typing import Any

from sas.dates import FIRST_SCHOOL_YEAR, LAST_SCHOOL_YEAR, school_year_label
from sas.models import Category, Jenjang


def _ref(name: str, kind: str = "schemas") -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def _object(properties: dict[str, Any], description: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def _array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


RUPIAH = {"type": "integer", "description": "Whole Rupiah."}
COUNT = {"type": "integer", "minimum": 0}
# The months of the school years 2010/2011 to 2100/2101: 2010-07 to 2101-06.
MONTH = {
    "type": "string",
    "pattern": r"^(2010-(0[7-9]|1[0-2])|20(1[1-9]|[2-9][0-9])-(0[1-9]|1[0-2])"
    r"|2100-(0[1-9]|1[0-2])|2101-0[1-6])$",
    "examples": ["2025-08"],
}
SCHOOL_YEAR = {
    "type": "string",
    "enum": [school_year_label(y) for y in range(FIRST_SCHOOL_YEAR, LAST_SCHOOL_YEAR + 1)],
    "examples": ["2025/2026"],
}
KECAMATAN_CODE = {"type": "string", "pattern": r"^\d{2}\.\d{2}\.\d{2}$", "examples": ["35.10.16"]}
KABUPATEN_CODE = {"type": "string", "pattern": r"^\d{2}\.\d{2}$", "examples": ["35.10"]}
NPSN = {"type": "string", "pattern": "^[0-9A-Z]{8}$", "examples": ["20525555"]}
JENJANG = {"type": "string", "enum": [j.value for j in Jenjang]}

SCHEMAS: dict[str, Any] = {
    "Error": _object(
        {
            "error": {
                "type": "object",
                "properties": {
                    "code": {
                        "type": "string",
                        "enum": [
                            "bad_parameter",
                            "unauthorized",
                            "forbidden",
                            "not_found",
                            "method_not_allowed",
                            "internal_error",
                            "busy",
                        ],
                    },
                    "message": {"type": "string"},
                    "parameter": {
                        "type": "string",
                        "description": "The query parameter at fault (400 only).",
                    },
                },
                "required": ["code", "message"],
                "additionalProperties": False,
            }
        }
    ),
    "Filter": _object(
        {
            "school_year": SCHOOL_YEAR,
            "from": {**MONTH, "description": "First month included."},
            "to": {**MONTH, "description": "Last month included."},
            "jenjang": {"type": ["string", "null"], "enum": [*JENJANG["enum"], None]},
        },
        "The filter the figures were computed for (defaults filled in).",
    ),
    "Figures": _object(
        {
            "collected": {
                **RUPIAH,
                "description": "Contributions, net of voids dated in the period.",
            },
            "disbursed": {**RUPIAH, "description": "Aid given, net of voids dated in the period."},
            "disbursed_in_kind": RUPIAH,
            "disbursed_cash": RUPIAH,
            "balance": {**RUPIAH, "description": "Held at the end of the period."},
            "students_helped": {
                "type": ["integer", "null"],
                "minimum": 0,
                "description": "Distinct students helped; null when suppressed.",
            },
            "students_helped_suppressed": {
                "type": "boolean",
                "description": "True when 1 or 2 students were helped and the caller sees the "
                "figure from above the school (district, admin).",
            },
            "schools": COUNT,
            "active_schools": {**COUNT, "description": "With at least one entry in the period."},
            "on_time_schools": {
                **COUNT,
                "description": "Every monthly report due in the period was closed by the 10th "
                "of the next month.",
            },
            "transferred_in": {
                **RUPIAH,
                "description": "Received from other schools' funds (Sekolah Asuh Sekolah), net "
                "of voids; not in collected.",
            },
            "transferred_out": {
                **RUPIAH,
                "description": "Sent to other schools' funds, net of voids; not in disbursed. "
                "Across a whole kabupaten equal to transferred_in.",
            },
        },
        "Figures of a period. Money is in whole Rupiah; counts are integers.",
    ),
    "Place": _object(
        {
            "level": {"type": "string", "enum": ["kabupaten", "kecamatan", "school"]},
            "code": {
                "type": "string",
                "description": "Kemendagri code of a region, or the NPSN of a school.",
            },
            "name": {"type": "string"},
        }
    ),
    "Summary": _object(
        {"filter": _ref("Filter"), "scope": _ref("Place"), "figures": _ref("Figures")}
    ),
    "Regions": _object(
        {
            "filter": _ref("Filter"),
            "kabupaten": _ref("Place"),
            "total": _ref("Figures"),
            "regions": _array(
                _object(
                    {"code": KECAMATAN_CODE, "name": {"type": "string"}, "figures": _ref("Figures")}
                )
            ),
        }
    ),
    "Schools": _object(
        {
            "filter": _ref("Filter"),
            "kecamatan": _ref("Place"),
            "total": _ref("Figures"),
            "schools": _array(
                _object(
                    {
                        "npsn": NPSN,
                        "name": {"type": "string"},
                        "jenjang": JENJANG,
                        "figures": _ref("Figures"),
                        "months_due": {
                            **COUNT,
                            "description": "Months of the period whose report deadline passed.",
                        },
                        "months_closed": COUNT,
                        "months_closed_on_time": COUNT,
                    }
                )
            ),
        }
    ),
    "SchoolMonths": _object(
        {
            "filter": _ref("Filter"),
            "school": _object(
                {
                    "npsn": NPSN,
                    "name": {"type": "string"},
                    "jenjang": JENJANG,
                    "kecamatan": KECAMATAN_CODE,
                }
            ),
            "figures": _ref("Figures"),
            "months": _array(
                _object(
                    {
                        "month": MONTH,
                        "collected": RUPIAH,
                        "disbursed": RUPIAH,
                        "balance": {**RUPIAH, "description": "Held at the end of the month."},
                        "transferred_in": RUPIAH,
                        "transferred_out": RUPIAH,
                        "closed": {"type": "boolean"},
                        "closed_on_time": {"type": "boolean"},
                    }
                )
            ),
            "categories": _array(
                _object(
                    {
                        "category": {"type": "string", "enum": [c.value for c in Category]},
                        "disbursed": RUPIAH,
                        "disbursed_in_kind": RUPIAH,
                    }
                )
            ),
        }
    ),
}

NET_COUNT = {"type": "integer", "description": "Transfers in the period less those voided in it."}
_SCHOOL_FLOW = _object(
    {"npsn": NPSN, "name": {"type": "string"}, "amount": RUPIAH, "transfers": NET_COUNT}
)
SCHEMAS["Transfers"] = _object(
    {
        "filter": _ref("Filter"),
        "kabupaten": _ref("Place"),
        "total": {**RUPIAH, "description": "Moved between schools in the period, net of voids."},
        "flows": _array(
            _object(
                {
                    "from": KECAMATAN_CODE,
                    "to": KECAMATAN_CODE,
                    "amount": RUPIAH,
                    "transfers": NET_COUNT,
                }
            )
        ),
        "top_giving": _array(_SCHOOL_FLOW),
        "top_receiving": _array(_SCHOOL_FLOW),
    },
    "Money moved between the kabupaten's schools (Sekolah Asuh Sekolah): never counted as "
    "collected or disbursed.",
)

PARAMETERS: dict[str, Any] = {
    "school_year": {
        "name": "school_year",
        "in": "query",
        "description": "Tahun ajaran, July to June. Default: the one holding `from` (else `to`), "
        "else the current one; so `from=2025-08` alone means August 2025 to June 2026.",
        "schema": SCHOOL_YEAR,
    },
    "from": {
        "name": "from",
        "in": "query",
        "description": "First month; default: the school year's July. `from` and `to` lie in "
        "one school year (the one named by `school_year`, if given), and `from` is not after "
        "`to`; otherwise 400.",
        "schema": MONTH,
    },
    "to": {
        "name": "to",
        "in": "query",
        "description": "Last month; default: the school year's June. Same rules as `from`.",
        "schema": MONTH,
    },
    "jenjang": {
        "name": "jenjang",
        "in": "query",
        "description": "Only schools of this level.",
        "schema": JENJANG,
    },
    "kabupaten": {
        "name": "kabupaten",
        "in": "query",
        "description": "Kemendagri code. A district officer sees only their own kabupaten (the "
        "default); an admin any (default: the first by code). Ignored for committee and teacher "
        "callers, who see their own school (a malformed code is still 400).",
        "schema": KABUPATEN_CODE,
    },
    "code": {
        "name": "code",
        "in": "path",
        "required": True,
        "description": "Kemendagri code of a kecamatan.",
        "schema": KECAMATAN_CODE,
    },
    "npsn": {
        "name": "npsn",
        "in": "path",
        "required": True,
        "description": "The school's NPSN.",
        "schema": NPSN,
    },
}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


RESPONSES: dict[str, Any] = {
    "BadParameter": _error("A parameter is not valid (the error names it)."),
    "Unauthorized": _error("No valid token and no logged-in session."),
    "Forbidden": _error("The caller's role may not read this."),
    "NotFound": _error("Unknown, or outside the caller's scope."),
}


def _operation(
    summary: str,
    description: str,
    schema: str,
    parameters: list[str],
    errors: list[tuple[str, str]],
) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "description": description,
            "operationId": schema[0].lower() + schema[1:],
            "parameters": [_ref(p, "parameters") for p in parameters],
            "responses": {
                "200": {
                    "description": "The figures.",
                    "content": {"application/json": {"schema": _ref(schema)}},
                },
                **{status: _ref(name, "responses") for status, name in errors},
            },
        }
    }


FILTER = ["school_year", "from", "to", "jenjang"]

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "SAS Ledger API",
        "version": "1.0.0",
        "description": "Read-only figures of the Siswa Asuh Sebaya funds for district systems: "
        "numbers only, never a name. Counts of students helped of 1 or 2 are suppressed above "
        'the school level. Errors are JSON: {"error": {"code": ..., "message": ...}}. '
        "A parameter given twice is 400. Only GET (and HEAD, OPTIONS) is answered: any other "
        "method is 405 with an Allow header.",
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearerToken": []}, {"sessionCookie": []}],
    "paths": {
        "/openapi.json": {
            "get": {
                "summary": "This document",
                "operationId": "openapi",
                "security": [],
                "responses": {
                    "200": {
                        "description": "The OpenAPI document.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
        "/summary": _operation(
            "Headline figures",
            "For a district officer or admin: the kabupaten's totals. For a committee member "
            "or teacher: their own school's totals, with the real count of students helped.",
            "Summary",
            [*FILTER, "kabupaten"],
            [
                ("400", "BadParameter"),
                ("401", "Unauthorized"),
                ("403", "Forbidden"),
                ("404", "NotFound"),
            ],
        ),
        "/regions": _operation(
            "Figures per kecamatan",
            "Every kecamatan of the kabupaten, with the kabupaten's total. District and admin.",
            "Regions",
            [*FILTER, "kabupaten"],
            [
                ("400", "BadParameter"),
                ("401", "Unauthorized"),
                ("403", "Forbidden"),
                ("404", "NotFound"),
            ],
        ),
        "/regions/{code}/schools": _operation(
            "Figures per school of a kecamatan",
            "Every active school of the kecamatan, with its reporting record. District (of its "
            "kabupaten) and admin.",
            "Schools",
            ["code", *FILTER],
            [
                ("400", "BadParameter"),
                ("401", "Unauthorized"),
                ("403", "Forbidden"),
                ("404", "NotFound"),
            ],
        ),
        "/schools/{npsn}/months": _operation(
            "A school's figures per month",
            "Collected, disbursed and the balance at each month's end, per need category, and "
            "the school's totals. District (of its kabupaten), admin, and the school's own "
            "committee and teacher; jenjang does not apply (400).",
            "SchoolMonths",
            ["npsn", "school_year", "from", "to"],
            [("400", "BadParameter"), ("401", "Unauthorized"), ("404", "NotFound")],
        ),
        "/transfers": _operation(
            "Money moved between schools",
            "Transfers between the kabupaten's schools (Sekolah Asuh Sekolah) per pair of "
            "kecamatan, net of voids dated in the period, and the five schools that gave and "
            "received most. District and admin; jenjang does not apply (400).",
            "Transfers",
            ["school_year", "from", "to", "kabupaten"],
            [
                ("400", "BadParameter"),
                ("401", "Unauthorized"),
                ("403", "Forbidden"),
                ("404", "NotFound"),
            ],
        ),
    },
    "components": {
        "schemas": SCHEMAS,
        "parameters": PARAMETERS,
        "responses": RESPONSES,
        "securitySchemes": {
            "bearerToken": {
                "type": "http",
                "scheme": "bearer",
                "description": "A token from `flask sas create-token`; acts with its account's "
                "role and scope.",
            },
            "sessionCookie": {
                "type": "apiKey",
                "in": "cookie",
                "name": "session",
                "description": "The session of a user logged in to the web app.",
            },
        },
    },
}
