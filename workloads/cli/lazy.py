"""Commands registered by name and loaded on demand: a command's module is imported only when that command runs (or
its own help is asked for), so ``genepool sweep`` does not import the modules of ``serve``, ``data`` or ``bench``.

Each top-level command is a :class:`LazyCommand`: its name, the first sentence of its help (what ``genepool --help``
and shell completion list beside the name) and where it lives. :func:`lazy_group` makes the typer group class of the
root app: its ``commands`` mapping holds the names from the start and builds a command with typer, exactly as an
eagerly registered one, the first time it is looked up. Help, completion, unknown-command errors (with their
suggestions) and exit codes are typer's own; ``tests/cli/test_lazy_commands.py`` holds them equal to those of every
command registered eagerly.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from dataclasses import dataclass
from gettext import gettext as _
from typing import Any, ClassVar

import typer
from typer._click import Command, Context, HelpFormatter, Parameter
from typer._click.shell_completion import CompletionItem
from typer.core import TyperCommand, TyperGroup

from workloads.cli.coercion import PlainCommand, coerce_plainly


@dataclass(frozen=True)
class LazyCommand:
    """A top-level command. ``target`` is ``module:attribute``: a command function, or a :class:`typer.Typer` app
    (a group of subcommands). ``extends`` names modules that register more subcommands on that group when imported,
    imported after ``module`` in this order. ``summary`` is the first sentence of the command's help (up to the first
    word ending in a period, as click shortens it) and must stay equal to it."""

    name: str
    target: str
    summary: str
    extends: tuple[str, ...] = ()

    def load(self) -> Callable[..., Any] | typer.Typer:
        """Import the command's module (and the modules that extend it) and return the function or app."""
        module_name, attribute = self.target.split(":")
        module = importlib.import_module(module_name)
        for extension in self.extends:
            importlib.import_module(extension)
        target: Callable[..., Any] | typer.Typer = getattr(module, attribute)
        return target


class LazyCommands(MutableMapping[str, Command]):
    """A group's commands by name, in listing order. Looking a name up builds its command (once) with ``build``;
    membership, iteration and the listing's summaries never do."""

    def __init__(self, entries: Sequence[LazyCommand], build: Callable[[LazyCommand], Command]) -> None:
        self._entries = {entry.name: entry for entry in entries}
        self._build = build
        self._built: dict[str, Command] = {}

    def __getitem__(self, name: str) -> Command:
        if name not in self._built:
            self._built[name] = self._build(self._entries[name])
        return self._built[name]

    def __setitem__(self, name: str, command: Command) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        if name not in self:
            raise KeyError(name)
        self._entries.pop(name, None)
        self._built.pop(name, None)

    def __contains__(self, name: object) -> bool:
        return name in self._entries or name in self._built

    def __iter__(self) -> Iterator[str]:
        yield from self._entries
        yield from (name for name in self._built if name not in self._entries)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def get(self, name: str, default: Any = None) -> Any:
        """The command (built on first lookup), or ``default`` for a name not registered. (A ``KeyError`` raised
        while building a registered command is not taken for an unknown name.)"""
        if name not in self:
            return default
        return self[name]

    def listed(self, name: str) -> Command:
        """What the listing shows for ``name``: the built command, or one standing in for it with its summary."""
        if name in self._built:
            return self._built[name]
        return TyperCommand(name, help=self._entries[name].summary)


class LazyGroup(TyperGroup):
    """A typer group whose commands are :attr:`lazy_commands`, each built when first looked up (see the module doc).
    The listing of ``--help`` and the completion of command names read the summaries instead."""

    lazy_commands: ClassVar[tuple[LazyCommand, ...]] = ()

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        eager = dict(self.commands)
        self.commands = LazyCommands(self.lazy_commands, self._build)
        self.commands.update(eager)

    def _build(self, entry: LazyCommand) -> Command:
        """The command as typer builds it when registered on the app itself (same markup mode and suggestions),
        a command's option values coerced plainly (:mod:`workloads.cli.coercion`)."""
        holder = typer.Typer(rich_markup_mode=self.rich_markup_mode, suggest_commands=self.suggest_commands)
        target = entry.load()
        if isinstance(target, typer.Typer):
            holder.add_typer(target, name=entry.name)
        else:
            holder.command(entry.name, cls=PlainCommand)(target)
        return typer.main.get_group(holder).commands[entry.name]

    def get_params(self, ctx: Context) -> list[Parameter]:
        return coerce_plainly(super().get_params(ctx))

    @property
    def _listing(self) -> LazyCommands:
        assert isinstance(self.commands, LazyCommands)
        return self.commands

    def list_commands(self, ctx: Context) -> list[str]:
        return list(self.commands)

    def format_commands(self, ctx: Context, formatter: HelpFormatter) -> None:
        """The ``Commands`` section of ``--help``, as :class:`TyperGroup` writes it, from the summaries."""
        commands = [(name, self._listing.listed(name)) for name in self.list_commands(ctx)]
        commands = [(name, command) for name, command in commands if not command.hidden]
        if not commands:
            return
        limit = formatter.width - 6 - max(len(name) for name, _command in commands)
        with formatter.section(_("Commands")):
            formatter.write_dl([(name, command.get_short_help_str(limit)) for name, command in commands])

    def shell_complete(self, ctx: Context, incomplete: str) -> list[CompletionItem]:
        """Command names starting with ``incomplete`` (with their summaries), then the group's own options."""
        listed = ((name, self._listing.listed(name)) for name in self.list_commands(ctx) if name.startswith(incomplete))
        results = [
            CompletionItem(name, help=command.get_short_help_str()) for name, command in listed if not command.hidden
        ]
        results.extend(Command.shell_complete(self, ctx, incomplete))
        return results


def lazy_group(commands: Sequence[LazyCommand]) -> type[LazyGroup]:
    """The group class (``typer.Typer(cls=...)``) of an app whose commands are ``commands``, listed in this order."""
    return type("LazyCommandGroup", (LazyGroup,), {"lazy_commands": tuple(commands)})
