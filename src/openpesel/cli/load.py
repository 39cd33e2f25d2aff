"""``openpesel load-population``: a synthetic register of millions, loaded in bulk.

Kept out of ``cli/app.py`` so the CLI does not import NumPy and the loader
unless this command runs; ``app.py`` registers it with
``app.command("load-population")(load_population_cmd)``.
"""

from __future__ import annotations

import typer

from openpesel.cli.console import clear_errors, operator, sign_at_exit
from openpesel.config import Settings


def load_population_cmd(
    size: int = typer.Option(..., "--size", min=0,
                             help="How many residents the population has (38,500,000: Poland)."),
    seed: int = typer.Option(1, "--seed", min=0,
                             help="The population: the same seed gives the same people."),
    chunk: int = typer.Option(50_000, "--chunk", min=1,
                              help="Residents per transaction; a killed load resumes by chunk."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show progress bars."),
) -> None:
    """Load (or finish loading) a synthetic population, writing the same events and
    projections as the per-event path, one transaction per chunk."""
    from openpesel import bootstrap
    from openpesel.cli.progress import progress_bar
    from openpesel.population.bulk import load_population

    with clear_errors():
        register = bootstrap.open_register(Settings(), create=True)
        store = register.store
        try:
            # Audited before it starts, like a backup: one entry for the run (its people are
            # all synthetic, made up by the generator, so no real person is concerned).
            gate, access = operator(register)
            with progress_bar("loading residents", shown=progress) as on_chunk:
                report = gate.bulk(access, "load-population", lambda: load_population(
                    store, size, seed, chunk=chunk, on_chunk=on_chunk),
                    [f"size:{size}", f"seed:{seed}", f"chunk:{chunk}"])
        finally:
            sign_at_exit()  # before the store goes: the run's entry ends under a signed head
            store.dispose()
    typer.echo(report.summary())
