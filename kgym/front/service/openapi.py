"""The OpenAPI 3.1 description of the service's API (served at /api/openapi.json)."""

from __future__ import annotations

from typing import Any

from kgym.front.service.jobs import LIMITS
from kgym.rundir import REVIEW_ACTIONS

_ERROR = {"$ref": "#/components/schemas/Error"}
_ANY_OBJECT = {"type": "object"}
_ID = {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {
        400: "the request is malformed (the error names what)",
        401: "the service token is missing or wrong",
        403: "the bug lies outside the directories the service may run",
        404: "no such run, job, bug, review or log",
        409: "the job is not running, or the review was answered already",
        413: "the body is too large",
        415: "the body is not JSON",
    }
    return {str(c): _json(_ERROR, text[c]) for c in codes}


def _path_param(name: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": schema or _ID}


def openapi(server: str = "") -> dict[str, Any]:
    """The API description; `server` is the base URL it is served from."""
    job_body = {
        "type": "object",
        "additionalProperties": False,
        "required": ["bug"],
        "properties": {
            "bug": {
                "type": "string",
                "minLength": 1,
                "description": "SUITE/ID or a bug id of an installed suite, or an absolute "
                "bug directory inside KGYM_SERVE_BUG_DIRS",
            },
            **{
                name: {"type": "integer", "minimum": low, "maximum": high}
                for name, (low, high) in LIMITS.items()
            },
            "human": {"type": "boolean", "description": "pause for a review of each patch"},
        },
    }
    review_body = {
        "type": "object",
        "additionalProperties": False,
        "required": ["action"],
        "properties": {
            "action": {"type": "string", "enum": list(REVIEW_ACTIONS)},
            "patch": {"type": "string", "description": "the edited patch (action 'edit')"},
        },
    }
    secured = [{"token": []}]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "kgym serve",
            "version": "1",
            "description": "Runs of the repair agent, their traces, and `kgym fix` jobs.",
        },
        "servers": [{"url": server}] if server else [],
        "components": {
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {"type": "string"}},
                },
            },
        },
        "paths": {
            "/api/graph": {
                "get": {
                    "summary": "the agent's graph (nodes with layers, edges) from LangGraph",
                    "responses": {"200": _json(_ANY_OBJECT, "nodes and edges")},
                }
            },
            "/api/runs": {
                "get": {
                    "summary": "every run's summary, newest first",
                    "responses": {"200": _json(_ANY_OBJECT, "{runs: [...]}")},
                }
            },
            "/api/runs/{run_id}": {
                "get": {
                    "summary": "one run: summary, events, timeline, hypotheses, usage",
                    "parameters": [_path_param("run_id")],
                    "responses": {"200": _json(_ANY_OBJECT, "the run"), **_errors(400, 404)},
                }
            },
            "/api/runs/{run_id}/events/stream": {
                "get": {
                    "summary": "the run's events as Server-Sent Events, live",
                    "parameters": [
                        _path_param("run_id"),
                        {
                            "name": "after",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "integer", "minimum": 0},
                            "description": "skip the first N events",
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "one `data:` per event, then `event: end`",
                            "content": {"text/event-stream": {"schema": {"type": "string"}}},
                        },
                        **_errors(400, 404),
                    },
                }
            },
            "/api/runs/{run_id}/logs/{path}": {
                "get": {
                    "summary": "a console log or reproducer output of one of the run's VM runs",
                    "parameters": [
                        _path_param("run_id"),
                        _path_param("path", {"type": "string", "minLength": 1}),
                    ],
                    "responses": {
                        "200": {
                            "description": "the log",
                            "content": {"text/plain": {"schema": {"type": "string"}}},
                        },
                        **_errors(400, 404),
                    },
                }
            },
            "/api/runs/{run_id}/reviews/{hypothesis}": {
                "post": {
                    "summary": "answer the review of one patch of a --human run",
                    "security": secured,
                    "parameters": [_path_param("run_id"), _path_param("hypothesis")],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": review_body}},
                    },
                    "responses": {
                        "200": _json(_ANY_OBJECT, "the answer, recorded"),
                        **_errors(400, 401, 404, 409, 413, 415),
                    },
                }
            },
            "/api/jobs": {
                "get": {
                    "summary": "the service's jobs, newest first",
                    "responses": {"200": _json(_ANY_OBJECT, "{jobs: [...]}")},
                },
                "post": {
                    "summary": "start `kgym fix` on a bug",
                    "security": secured,
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": job_body}},
                    },
                    "responses": {
                        "201": _json(_ANY_OBJECT, "{job_id, run_id}"),
                        **_errors(400, 401, 403, 404, 413, 415),
                    },
                },
            },
            "/api/jobs/{job_id}": {
                "get": {
                    "summary": "one job",
                    "parameters": [_path_param("job_id", {"type": "string"})],
                    "responses": {"200": _json(_ANY_OBJECT, "the job"), **_errors(404)},
                },
                "delete": {
                    "summary": "cancel a running job",
                    "security": secured,
                    "parameters": [_path_param("job_id", {"type": "string"})],
                    "responses": {
                        "200": _json(_ANY_OBJECT, "the cancelled job"),
                        **_errors(401, 404, 409),
                    },
                },
            },
        },
    }
