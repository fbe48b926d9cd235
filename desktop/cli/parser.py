"""The argument parser: every option and subcommand, and one sentence for any bad option."""

from __future__ import annotations

import argparse
import math
import re
import sys
from typing import Any, NoReturn

from desktop.cli.common import EXIT_USAGE

MAX_GRACE = 3600.0


class OneSentenceParser(argparse.ArgumentParser):
    """argparse prints a usage block and a message; we print one sentence that says what is
    wrong and where the help is, and exit 2. Subparsers inherit the class."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(one_sentence(message, self.prog, self._subcommand_names()) + "\n")
        sys.exit(EXIT_USAGE)

    def _subcommand_names(self) -> list[str]:
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                return list(action.choices)
        return []


def one_sentence(message: str, prog: str, subcommands: list[str] | None = None) -> str:
    text = message.strip()
    names = ", ".join(subcommands or [])
    word = "a command" if prog == "stylestudio" else "an action"
    if re.fullmatch(r"the following arguments are required: (COMMAND|ACTION)", text):
        return f"Name {word} after '{prog}' ({names}); see '{prog} --help'."
    choice = re.fullmatch(r"argument (COMMAND|ACTION): invalid choice: (.+) \(choose from .+\)", text)
    if choice:
        return f"{choice.group(2)} is not {word} of '{prog}'; use one of {names} (see '{prog} --help')."
    text = re.sub(r"^argument ([^:]+): ", r"\1: ", text)
    text = re.sub(r"invalid choice: (.+) \(choose from (.+)\)$", r"\1 is not one of \2", text)
    text = text.replace("the following arguments are required: ", "missing ")
    text = text.replace("unrecognized arguments: ", "unknown arguments: ")
    if text and text[0].islower() and not text.startswith("-"):
        text = text[0].upper() + text[1:]
    return f"{text.rstrip('.')}; see '{prog} --help'."


class VersionAction(argparse.Action):
    """``--version``: prints "Style Studio X.Y.Z" and exits, as argparse's ``version`` action
    does; the version is read only then (reading it imports ``importlib.metadata``, which no
    other command needs)."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, help: str = "show program's version number and exit") -> None:
        super().__init__(option_strings, dest=dest, default=argparse.SUPPRESS, nargs=0, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, option_string: str | None = None) -> None:
        from desktop import __version__

        sys.stdout.write(f"Style Studio {__version__}\n")
        parser.exit()


# --- value types (their messages follow the option's name: "--previews: 'x' is not ...") ------


def whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None


def positive_int(text: str) -> int:
    value = whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"'{text}' must be 1 or more")
    return value


def _number_from(text: str, low: float, high: float, what: str) -> float:
    """A finite number from ``low`` to ``high``; argparse shows ``what`` when it is not."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not low <= value <= high:
        raise argparse.ArgumentTypeError(f"'{text}' is not {what}")
    return value


def grace_seconds(text: str) -> float:
    return _number_from(text, 0, MAX_GRACE, f"a number of seconds from 0 to {MAX_GRACE:.0f}")


def percent(text: str) -> float:
    return _number_from(text, 0, 100, "a number from 0 to 100")


EXAMPLES = {  # two or three at the end of each command's --help
    "generate": (
        'stylestudio generate "warm golden-hour film, soft grain"',
        'stylestudio generate "in the colours of this photo" --reference ~/Pictures/dusk.jpg',
        'stylestudio generate --reference edited.jpg --original before.jpg',
    ),
    "apply": (
        'stylestudio apply "Harbour dusk" ~/Pictures/trip --out ~/Pictures/trip-styled',
        'stylestudio apply 3 a.jpg b.png --out styled --strength 60 --format jpeg',
        'stylestudio apply "Harbour dusk" ~/Pictures/trip --out styled --name "{stem}-{style}"',
        'stylestudio apply "Harbour dusk" scans/*.tif --out styled --depth 16 --colour-space adobe-rgb',
    ),
    "export": (
        'stylestudio export "Harbour dusk" --format cube --out harbour',
        'stylestudio export 3 5 8 --out my-looks',
    ),
    "import": (
        'stylestudio import my-looks.stylepack',
        'stylestudio import film.cube print.png',
    ),
    "styles": (
        'stylestudio styles rename 3 "Harbour dusk"',
        'stylestudio styles restore 3   # after styles delete 3',
        'stylestudio styles strength "harbour dusk" 60 --wait',
    ),
    "jobs": (
        'stylestudio jobs list --all',
        'stylestudio jobs watch',
        'stylestudio jobs retry 12',
    ),
    "queue": (
        'stylestudio queue',
        'stylestudio queue pause style.apply',
        'stylestudio queue front 42',
    ),
    "worker": (
        'stylestudio worker',
        'stylestudio worker --max-parallel 4 --exit-when-idle',
    ),
    "workers": (
        'stylestudio workers',
        'stylestudio workers --all --json',
    ),
}
STYLE_HELP = "the style's id, or its name (any case; quote a name with spaces)"
JOB_HELP = "the job's id, as 'stylestudio jobs list' shows it"

def build_parser() -> argparse.ArgumentParser:
    p = OneSentenceParser(
        prog="stylestudio",
        description="Style Studio: turn a description and a reference image into a reusable visual style.",
    )
    p.add_argument("--version", action=VersionAction)
    p.add_argument("--home", metavar="DIR", help="data folder to use (default: STYLESTUDIO_HOME or the user data folder)")
    p.add_argument("-v", "--verbose", action="store_true", help="also log to the terminal")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for add in (_add_generate, _add_apply, _add_export, _add_import, _add_styles, _add_jobs, _add_queue, _add_worker, _add_workers):
        add(sub)  # the everyday commands first, as --help lists them
    sub.add_parser("self-test", help="start the app offscreen and make one style end to end")
    return p



def _command(sub: Any, name: str, examples: tuple[str, ...], **kwargs: Any) -> argparse.ArgumentParser:
    """A subcommand whose --help ends with a few examples."""
    epilog = "examples:\n" + "\n".join(f"  {line}" for line in examples)
    return sub.add_parser(name, epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter, **kwargs)


def _add_generate(sub: Any) -> None:
    g = _command(sub, "generate", EXAMPLES["generate"], help="make a style from a description (and a reference image), or learn it from an edit")
    g.add_argument("description", nargs="?", default="", help="the look in words (may be left out with --original)")
    g.add_argument("--reference", metavar="PATH", help="a reference image (with --original: the edited photo)")
    g.add_argument("--original", metavar="PATH", help="the photo as it was before the edit: the style learns the edit's look")
    g.add_argument("--name", help="the style's name (default: from the description)")
    g.add_argument("--backend", choices=("local", "fal"), help="generator (default: the setting, local)")
    g.add_argument("--previews", type=positive_int, help="number of previews, 1 to 8 (default 4); the local generator makes at most 6: the reference, then each sample photo once")
    g.add_argument("--size", type=positive_int, help="long edge of the previews in pixels (default 768)")
    g.add_argument("--seed", type=whole_number, help="seed for repeatable looks")
    _json_flag(g, "print the new style as JSON")
    _enqueue_flag(g)


def _add_apply(sub: Any) -> None:
    ap = _command(sub, "apply", EXAMPLES["apply"], help="apply a style to photos and folders of photos")
    ap.add_argument("style", metavar="STYLE", help=STYLE_HELP)
    ap.add_argument("inputs", nargs="+", metavar="INPUT", help="photos and folders of photos")
    ap.add_argument("--out", metavar="DIR", required=True, help="folder for the styled photos (made if missing)")
    ap.add_argument("--strength", type=percent, help="0 to 100 percent (default: the style's own)")
    _effect_flags(ap, "(default: the style's own)")
    ap.add_argument("--format", choices=("same", "jpeg", "png", "tiff", "webp"), default="same", help="output format (default: same as the input)")
    ap.add_argument("--quality", type=whole_number, default=92, help="JPEG and WebP quality, 1 to 100 (default 92)")
    ap.add_argument("--long-edge", type=positive_int, metavar="PX", help="shrink photos to this long edge in pixels")
    ap.add_argument(
        "--name",
        metavar="TEMPLATE",
        help='output names, like "{stem}-{style}": fields {stem} (the photo\'s name), {style}, {n} (its number, from 1; {n:03} pads it) and {date} (YYYY-MM-DD); a taken name gets " (2)" (default: the photo\'s own name)',
    )
    ap.add_argument("--recursive", action="store_true", help="include the photos in subfolders")
    ap.add_argument("--both", action="store_true", help="of a RAW+JPEG pair, style the JPEG too (default: only the RAW)")
    ap.add_argument("--no-metadata", action="store_true", help="leave out EXIF, DPI and colour profile (a wide-gamut output keeps its profile)")
    ap.add_argument("--strip-location", action="store_true", help="leave out the GPS location only (the rest of the EXIF is kept)")
    ap.add_argument("--depth", type=int, choices=(8, 16), help="bits a channel: 16 for PNG and TIFF (a RAW gives a 16-bit TIFF) (default: as the input)")
    ap.add_argument(
        "--colour-space",
        choices=("srgb", "display-p3", "adobe-rgb", "same"),
        default="srgb",
        help="the output's colour space, its profile embedded (default: srgb; same: as the input)",
    )
    _enqueue_flag(ap)
    _json_flag(ap, "print a JSON summary")


def _add_export(sub: Any) -> None:
    ex = _command(sub, "export", EXAMPLES["export"], help="export styles as a .stylepack, or one style's LUT as .cube or HaldCLUT")
    ex.add_argument("styles", nargs="+", metavar="STYLE", help="the styles' ids or names (any case)")
    ex.add_argument("--out", metavar="FILE", required=True, help="the file to write (it must not exist yet)")
    ex.add_argument("--format", choices=("cube", "hald"), help="one style's LUT instead of a style pack")
    ex.add_argument("--size", type=whole_number, choices=(17, 33, 65), help="points a side of the .cube (default 33)")
    ex.add_argument("--with-reference", action="store_true", help="put each style's reference photo in the pack")
    _json_flag(ex, "print a JSON summary")
    _enqueue_flag(ex)


def _add_import(sub: Any) -> None:
    im = _command(sub, "import", EXAMPLES["import"], help="import .stylepack, .cube and HaldCLUT .png files as styles")
    im.add_argument("files", nargs="+", metavar="FILE", help="style packs and LUT files")
    _json_flag(im, "print a JSON summary")
    _enqueue_flag(im, many=True)


def _add_styles(sub: Any) -> None:
    st = _command(sub, "styles", EXAMPLES["styles"], help="list, show, rename, duplicate, delete and restore styles, and change a style's strength")
    ssub = st.add_subparsers(dest="styles_command", metavar="ACTION", required=True)
    sl = ssub.add_parser("list", help="all styles, newest first")
    _json_flag(sl)
    sl.add_argument("--search", default="", help="only styles whose name or description contains this")
    sl.add_argument("--deleted", action="store_true", help="the deleted styles instead, and until when each can be restored")
    ss = ssub.add_parser("show", help="one style, with the paths of its files")
    ss.add_argument("style", metavar="STYLE", help=STYLE_HELP)
    _json_flag(ss)
    sr = ssub.add_parser("rename", help="give a style another name")
    sr.add_argument("style", metavar="STYLE", help=STYLE_HELP)
    sr.add_argument("name", metavar="NAME", help="the new name (quote it when it has spaces)")
    sd = ssub.add_parser("delete", help="delete a style (restorable for a while; --now: its files go at once)")
    sd.add_argument("style", metavar="STYLE", help=STYLE_HELP)
    sd.add_argument("--now", action="store_true", help="remove its files at once, with no way back")
    so = ssub.add_parser("restore", help="bring back a deleted style ('styles list --deleted' shows them)")
    so.add_argument("style", metavar="STYLE", help="the deleted style's id or name (any case)")
    sc = ssub.add_parser("duplicate", help="copy a style, files and all, under a new name")
    sc.add_argument("style", metavar="STYLE", help=STYLE_HELP)
    sc.add_argument("name", metavar="NAME", nargs="?", help="the copy's name (default: 'NAME copy')")
    _json_flag(sc, "print the new style as JSON")
    sg = ssub.add_parser("strength", help="re-write a style's .cube and previews at a strength from 0 to 100 percent (a job)")
    sg.add_argument("style", metavar="STYLE", help=STYLE_HELP)
    sg.add_argument("percent", metavar="PERCENT", help="0 (the photo as it is) to 100 (the whole grade), like 60")
    _effect_flags(sg, "(stored with the style; left out: as it is)")
    sg.add_argument("--wait", action="store_true", help="follow the job to the end (it runs here unless a window or worker takes it); exit 1 if it failed or was canceled")
    _json_flag(sg, "print the job's row as JSON (with --wait: the finished row)")


def _add_jobs(sub: Any) -> None:
    jobs = _command(sub, "jobs", EXAMPLES["jobs"], help="list, watch, enqueue, cancel, retry and dismiss jobs")
    jsub = jobs.add_subparsers(dest="jobs_command", metavar="ACTION", required=True)
    jl = jsub.add_parser("list", help="active and recent jobs, newest first")
    _json_flag(jl, "print one JSON document")
    jl.add_argument("--all", action="store_true", help="include finished jobs")
    jl.add_argument("--limit", type=positive_int, metavar="N", help="show at most N jobs (default 200, or 1000 with --all)")
    jsub.add_parser("watch", help="a live table of jobs until Ctrl+C")
    je = jsub.add_parser("enqueue", help="queue a job and print its id")
    je.add_argument("type", help="job type, e.g. diagnostics.sleep")
    je.add_argument("--payload", default="{}", help="the job's input as a JSON object")
    _json_flag(je, "print the new row as JSON")
    for name, text in (("cancel", "cancel a job"), ("retry", "run a failed or canceled job again"), ("dismiss", "remove a finished job")):
        jp = jsub.add_parser(name, help=text)
        jp.add_argument("id", type=whole_number, metavar="JOB_ID", help=JOB_HELP)
        _json_flag(jp, "print the row as JSON")
    js = jsub.add_parser("show", help="one job")
    js.add_argument("id", type=whole_number, metavar="JOB_ID", help=JOB_HELP)
    _json_flag(js)


def _add_queue(sub: Any) -> None:
    q = _command(sub, "queue", EXAMPLES["queue"], help="the shared queue: what waits, pause and resume it, move a job to the front")
    _json_flag(q, "print one JSON document")
    qsub = q.add_subparsers(dest="queue_command", metavar="ACTION")
    for name, text in (
        ("pause", "start no new job of TYPE (or of any type) on any machine; running jobs finish"),
        ("resume", "start jobs of TYPE again (without TYPE: lift every pause)"),
    ):
        qp = qsub.add_parser(name, help=text)
        qp.add_argument("type", nargs="?", metavar="TYPE", help="a job type, e.g. style.generate (default: every type)")
        _json_flag(qp, "print the queue's state as JSON", shared=True)
    qf = qsub.add_parser("front", help="move a waiting job to the front of the queue")
    qf.add_argument("id", type=whole_number, metavar="JOB_ID", help=JOB_HELP)
    _json_flag(qf, "print the job's row as JSON", shared=True)


def _add_worker(sub: Any) -> None:
    w = _command(sub, "worker", EXAMPLES["worker"], help="run queued jobs headless until Ctrl+C")
    w.add_argument("--max-parallel", type=positive_int, default=None, help="jobs at once (default: the setting, 2)")
    w.add_argument("--exit-when-idle", action="store_true", help="stop once no job is queued or running")
    w.add_argument("--grace", type=grace_seconds, default=5.0, help="seconds running jobs get to finish on Ctrl+C, 0 to 3600 (default 5)")


def _add_workers(sub: Any) -> None:
    wk = _command(sub, "workers", EXAMPLES["workers"], help="the live workers of every machine: host, pid, jobs running, last heartbeat")
    _json_flag(wk, "print one JSON document")
    wk.add_argument("--all", action="store_true", help="include stale workers (not seen for 3 lease periods)")


def _json_flag(parser: argparse.ArgumentParser, text: str | None = None, *, shared: bool = False) -> None:
    """``--json``, whose help says what is printed; ``shared``: the flag may also stand before
    the action (``queue --json pause``), so a subcommand leaves it unset rather than False."""
    default = argparse.SUPPRESS if shared else False
    parser.add_argument("--json", action="store_true", default=default, help=text)


def _enqueue_flag(parser: argparse.ArgumentParser, *, many: bool = False) -> None:
    what = "them" if many else "it"
    parser.add_argument("--enqueue", action="store_true", help=f"only queue {what} for a running app or worker; print the job id{'s' if many else ''}")


def _effect_flags(parser: argparse.ArgumentParser, default: str) -> None:
    """``--grain``, ``--grain-size`` and ``--vignette``: a style's effects set on their own;
    ``default`` says what leaving one out means."""
    parser.add_argument("--grain", type=percent, metavar="PERCENT", help=f"film grain, 0 (none) to 100; 50 is what 'film grain' gives {default}")
    parser.add_argument("--grain-size", choices=("fine", "medium", "coarse"), help=f"size of the grain {default}")
    parser.add_argument("--vignette", type=percent, metavar="PERCENT", help=f"how much darker the corners get, 0 (none) to 100 {default}")
