"""What every command shares: one-line errors with exit 2, checks of paths given on the
command line, JSON output. Kept apart from cli.py so that command modules can import it while
cli.py imports them."""

from __future__ import annotations

import errno
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any, Callable

import click

from ..errors import HippoError
from ..folder import enclosing_index


def _fail(message: str, code: int = 2, as_json: bool | None = None) -> None:
    """One line on stderr and exit `code`; with --json (read from the running command unless
    given), the same error as JSON on stdout too ({"error": {"code", "message"}}, as `serve`
    answers), so a consumer never reads an empty document."""
    click.echo(f"error: {message}", err=True)
    if as_json is None:
        context = click.get_current_context(silent=True)
        as_json = bool(context is not None and context.params.get("as_json"))
    if as_json:
        print_json_error(code, message)
    sys.exit(code)


def print_json_error(code: int, message: str) -> None:
    """The error as `serve` answers it, on stdout, for a --json consumer."""
    try:
        click.echo(json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=True))
    except BrokenPipeError:
        _reader_went_away()


def asked_for_json(args: Any = None) -> bool:
    """--json among the raw arguments: parsing may fail before it reads the flag."""
    return "--json" in (sys.argv[1:] if args is None else list(args))


class OneLineErrors(click.Group):
    """Click's usage errors (a bad option value, a missing argument) in one line like every other
    error, "error: <what> (see '<command> --help')", instead of a usage block of three."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        as_json = asked_for_json(args)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
            sys.stdout.flush()  # --help's text is written here, not at exit
        except click.exceptions.NoArgsIsHelpError as exc:  # the command alone: its help, as asked
            click.echo(exc.ctx.get_help() if exc.ctx is not None else exc.format_message())
            sys.exit(exc.exit_code)
        except BrokenPipeError:  # --help or --version into `| head`
            _reader_went_away()
        except SystemExit as exc:
            if exc.code == 1 and type(sys.stdout).__name__.lstrip("_") == "PacifyFlushWrapper":
                _reader_went_away()  # click met the closed pipe itself and chose exit 1
            raise
        except click.UsageError as exc:
            hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
            _fail(f"{exc.format_message()}{hint}", exc.exit_code, as_json)
        except click.ClickException as exc:
            _fail(exc.format_message(), exc.exit_code, as_json)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


def _reader_went_away() -> None:
    """stdout's reader closed it (`... | head`): stop quietly, as a shell tool killed by SIGPIPE
    would (exit 141), instead of reporting an error about the user's pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # the final flush at exit must not fail again
    sys.exit(128 + signal.SIGPIPE)


def guarded(func: Callable[..., Any]) -> Callable[..., Any]:
    """Library errors become a one-line message and exit code 2."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _check_text_arguments(kwargs)
        try:
            result = func(*args, **kwargs)
            sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
            return result
        except BrokenPipeError:
            _reader_went_away()
        except HippoError as exc:
            _fail(str(exc))
        except OSError as exc:
            if exc.errno == errno.ENOTDIR and exc.filename:
                _fail(f"{exc.filename}: a parent of this path is a file, not a folder")
            _fail(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": "))

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


def _check_text_arguments(values: dict[str, Any]) -> None:
    """Text from the command line that is not valid UTF-8 (Python keeps such bytes as lone
    surrogates) is a usage error naming the argument, not a crash deep in the library."""
    context = click.get_current_context(silent=True)
    params = {p.name: p for p in context.command.params} if context else {}
    for name, value in values.items():
        for text in value if isinstance(value, tuple) else (value,):
            if not isinstance(text, str):
                continue
            try:
                text.encode("utf-8")
            except UnicodeEncodeError as exc:
                param = params.get(name)
                label = param.opts[0] if isinstance(param, click.Option) else f"the {name}"
                _fail(f"{label} is not valid UTF-8 (bad byte at character {exc.start + 1})")


def _check_index_path(index_dir: Path) -> None:
    """An index path below a file can be neither read nor created: say so, naming both."""
    for parent in index_dir.parents:
        if parent.exists() and not parent.is_dir():
            _fail(f"{index_dir}: a parent of the index path is a file ({parent})")


def _check_output(path: Path | None, option: str, folder: bool = False, index_dir: Path | None = None) -> None:
    """A file (or, with `folder`, a folder) the command writes, checked before any work: never
    inside an index (an existing one, or `index_dir`, which the command may be about to make),
    where it could replace CURRENT or a version's file; not a folder where a file is due, nor a
    file where a folder is."""
    if path is None:
        return
    index = enclosing_index(path)
    if index is None and index_dir is not None and path.resolve().is_relative_to(index_dir.resolve()):
        index = index_dir
    if index is not None:
        _fail(f"{option} {path}: is inside the index folder {index}; write it elsewhere")
    if folder and path.exists() and not path.is_dir():
        _fail(f"{option} {path}: is a file, not a folder")
    if not folder and path.is_dir():
        _fail(f"{option} {path}: is a folder; give a file name")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                _fail(f"{option} {path}: a parent of this path is a file ({parent})")
            break


def _print_json(data: Any) -> None:
    """Readable UTF-8 JSON; all-ASCII escapes when a value holds bytes that are not UTF-8 (a
    path argument with such bytes reaches Python as lone surrogates), so stdout stays valid."""
    text = json.dumps(data, ensure_ascii=False, indent=2)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(data, ensure_ascii=True, indent=2)
    click.echo(text)
