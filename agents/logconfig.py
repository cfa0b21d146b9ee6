"""structlog JSON lines for our events and, through the same renderer, Faust's and aiokafka's.

One record per line: `timestamp` (UTC ISO 8601), `level`, `logger`, `event`, plus the fields of the
call and whatever is bound in structlog's context variables. The agents bind `article_id`, `topic`,
`partition` and `offset` (of the raw message) around each record, so Faust's and aiokafka's lines
logged while a record is handled carry them too.
"""

from __future__ import annotations

from typing import Any

import orjson
import structlog

__all__ = ["configure_logging", "logging_dict"]

_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def _render(obj: Any, **kwargs: Any) -> str:
    kwargs.setdefault("default", str)  # exceptions, paths, datetimes: never fail to log
    return orjson.dumps(obj, **kwargs).decode()


def logging_dict(level: str) -> dict[str, Any]:
    """A dictConfig for Faust's `logging_config=`: every stdlib record becomes one JSON line."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": structlog.stdlib.ProcessorFormatter,
                "foreign_pre_chain": _SHARED,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    structlog.processors.JSONRenderer(serializer=_render),
                ],
            }
        },
        "handlers": {"default": {"class": "logging.StreamHandler", "formatter": "json"}},
        "root": {"handlers": ["default"], "level": level},
    }


def configure_logging(level: str = "INFO") -> None:
    """Route structlog through stdlib so one handler renders everything as JSON."""
    import logging.config

    logging.config.dictConfig(logging_dict(level))
    logging.captureWarnings(True)  # Python warnings become records too, so stderr stays JSON lines
    structlog.configure(
        processors=[*_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        cache_logger_on_first_use=True,
    )
