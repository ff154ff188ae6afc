"""Draw one issue's deliveries over time (matplotlib, Agg: no display needed), PNG or SVG."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from .errors import UsageError

FORMATS = {".png": "png", ".svg": "svg"}


def plot_deliveries(
    times: list[tuple[datetime, str]], path: str | Path, title: str, zone: ZoneInfo
) -> Path:
    """Cumulative sent and failed copies against the newsletter's clock; written to `path`."""
    path = Path(path)
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise UsageError(f"--plot {path}: name a .png or .svg file")
    if not times:
        raise UsageError("nothing to plot: no delivery of this issue has been answered yet")
    import matplotlib

    matplotlib.use("Agg")  # before pyplot: no display on a server or in cron
    matplotlib.rcParams["svg.fonttype"] = "none"  # SVG text stays text: smaller, searchable
    from matplotlib import dates, pyplot

    figure, axes = pyplot.subplots(figsize=(8, 4), layout="constrained")
    try:
        for state, colour in (("sent", "#2a6f3e"), ("failed", "#b3261e")):
            xs = [moment.astimezone(zone) for moment, s in times if s == state]
            if xs:
                axes.step(xs, range(1, len(xs) + 1), where="post", color=colour, label=state)
        axes.set(title=title, ylabel="deliveries (cumulative)", xlabel=f"time ({zone.key})")
        locator = dates.AutoDateLocator(tz=zone)
        axes.xaxis.set_major_locator(locator)
        axes.xaxis.set_major_formatter(dates.ConciseDateFormatter(locator, tz=zone))
        axes.set_ylim(bottom=0)
        axes.legend(loc="upper left")
        axes.grid(alpha=0.3)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.partial")
        figure.savefig(partial, format=kind)
        partial.replace(path)  # never a half-written image under the asked name
    except OSError as error:
        raise UsageError(f"--plot {path} cannot be written: {error.strerror}") from error
    finally:
        pyplot.close(figure)
    return path
