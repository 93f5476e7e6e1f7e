"""``roadmap-sync completion bash|zsh|fish``: shell completion generated from the parser itself,
so every command, option and choice completes and none can go stale."""

from __future__ import annotations

import argparse
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from roadmap_sync.commands.context import EXIT_OK, CommandContext
from roadmap_sync.commands.help import add_command

PROG = "roadmap-sync"
SHELLS = ("bash", "zsh", "fish")


@dataclass(frozen=True)
class Option:
    """One option: its flags, whether it takes a value, and what the value may be."""

    flags: tuple[str, ...]
    help: str
    takes_value: bool
    choices: tuple[str, ...] = ()
    is_path: bool = False


@dataclass
class Command:
    """A parser: its options and its sub-commands (name -> (help, command))."""

    options: list[Option] = field(default_factory=list)
    commands: dict[str, tuple[str, Command]] = field(default_factory=dict)
    words: tuple[str, ...] = ()  # the choices of a positional argument (completion's shells)


def _option(action: argparse.Action) -> Option:
    takes_value = action.nargs != 0
    is_path = action.type is Path or action.metavar in ("FILE", "PATH")
    choices = tuple(str(c) for c in action.choices) if action.choices else ()
    text = (action.help or "").replace("%(default)s", str(action.default))
    return Option(tuple(action.option_strings), text, takes_value, choices, is_path)


def command_tree(parser: argparse.ArgumentParser) -> Command:
    """The options and sub-commands of `parser`, recursively."""
    node = Command()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            for name, sub in action.choices.items():
                node.commands[name] = (helps.get(name, ""), command_tree(sub))
        elif action.option_strings and action.help != argparse.SUPPRESS:
            node.options.append(_option(action))
        elif action.choices:
            node.words += tuple(str(choice) for choice in action.choices)
    return node


def _walk(node: Command, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Command]]:
    found = [(path, node)]
    for name, (_help, sub) in node.commands.items():
        found += _walk(sub, (*path, name))
    return found


# -- bash --------------------------------------------------------------------------------------
_BASH = """\
# bash completion for roadmap-sync. Load it with:
#   source <(roadmap-sync completion bash)       # this shell
#   roadmap-sync completion bash > ~/.local/share/bash-completion/completions/roadmap-sync
_roadmap_sync() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    local path=roadmap-sync word i skip=0
    declare -A commands=(%(commands)s)
    declare -A options=(%(options)s)
    declare -A values=(%(values)s)
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        if ((skip)); then skip=0; continue; fi
        if [[ -n ${values["$path $word"]+set} ]]; then skip=1; continue; fi
        if [[ " ${commands[$path]} " == *" $word "* ]]; then path="$path $word"; fi
    done
    if [[ -n ${values["$path $prev"]+set} ]]; then
        if [[ ${values["$path $prev"]} == "@path" ]]; then
            COMPREPLY=($(compgen -f -- "$cur"))
        else
            COMPREPLY=($(compgen -W "${values["$path $prev"]}" -- "$cur"))
        fi
    elif [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "${options[$path]}" -- "$cur"))
    else
        COMPREPLY=($(compgen -W "${commands[$path]}" -- "$cur"))
    fi
}
complete -o default -F _roadmap_sync roadmap-sync
"""


def _bash_map(entries: dict[str, str]) -> str:
    return " ".join(f"[{shlex.quote(key)}]={shlex.quote(value)}" for key, value in entries.items())


def bash_script(root: Command) -> str:
    """The bash completion script."""
    commands, options, values = {}, {}, {}
    for path, node in _walk(root):
        key = " ".join((PROG, *path))
        commands[key] = " ".join([*node.commands, *node.words])
        options[key] = " ".join(flag for option in node.options for flag in option.flags)
        for option in node.options:
            if option.takes_value:
                for flag in option.flags:
                    kind = " ".join(option.choices) if option.choices else ""
                    values[f"{key} {flag}"] = "@path" if option.is_path else kind
    return _BASH % {
        "commands": _bash_map(commands),
        "options": _bash_map(options),
        "values": _bash_map(values),
    }


# -- zsh ---------------------------------------------------------------------------------------
def _zsh_quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "'\\''").replace("[", "\\[").replace("]", "\\]")


def _zsh_spec(option: Option) -> list[str]:
    description = _zsh_quote(option.help.split(". ")[0])
    if not option.takes_value:
        action = ""
    elif option.choices:
        action = f":value:({' '.join(option.choices)})"
    elif option.is_path:
        action = ":file:_files"
    else:
        action = ":value: "
    return [f"'*{flag}[{description}]{action}'" for flag in option.flags]


def _zsh_function(path: tuple[str, ...], node: Command) -> str:
    name = "_roadmap_sync" + "".join(f"__{part.replace('-', '_')}" for part in path)
    specs = [spec for option in node.options for spec in _zsh_spec(option)]
    if not node.commands:
        if node.words:
            specs.append(f"'1:value:({' '.join(node.words)})'")
        body = f"    _arguments -s {' '.join(specs)}"
        return f"{name}() {{\n{body}\n}}\n"
    described = " ".join(
        f"'{cmd}:{_zsh_quote(text)}'" for cmd, (text, _sub) in node.commands.items()
    )
    cases = "\n".join(f"        {cmd}) {name}__{cmd.replace('-', '_')} ;;" for cmd in node.commands)
    return f"""{name}() {{
    local curcontext="$curcontext" state line
    local -a subcommands
    _arguments -C {" ".join(specs)} '1: :->command' '*:: :->argument'
    case $state in
    command)
        subcommands=({described})
        _describe 'command' subcommands ;;
    argument)
        case $line[1] in
{cases}
        esac ;;
    esac
}}
"""


def zsh_script(root: Command) -> str:
    """The zsh completion script (a ``#compdef`` file)."""
    functions = "\n".join(_zsh_function(path, node) for path, node in _walk(root))
    return (
        "#compdef roadmap-sync\n"
        "# zsh completion for roadmap-sync. Load it with:\n"
        "#   source <(roadmap-sync completion zsh)      # this shell (after compinit)\n"
        '#   roadmap-sync completion zsh > "${fpath[1]}/_roadmap-sync"\n'
        f"{functions}\n"
        "compdef _roadmap_sync roadmap-sync\n"
    )


# -- fish ---------------------------------------------------------------------------------------
_FISH_PATH = """\
function __roadmap_sync_path --description 'the roadmap-sync command being typed'
    set -l path roadmap-sync
    set -l skip 0
    for word in (commandline -opc)[2..-1]
        if test $skip = 1
            set skip 0
        else if contains -- "$path $word" $__roadmap_sync_valued
            set skip 1
        else if contains -- "$path $word" $__roadmap_sync_commands
            set path "$path $word"
        end
    end
    echo $path
end
"""


def fish_script(root: Command) -> str:
    """The fish completion script."""
    nodes = _walk(root)
    paths = [" ".join((PROG, *path)) for path, _node in nodes]
    valued = [
        f"{key} {flag}"
        for key, (_path, node) in zip(paths, nodes, strict=True)
        for option in node.options
        if option.takes_value
        for flag in option.flags
    ]
    lines = [
        "# fish completion for roadmap-sync. Load it with:",
        "#   roadmap-sync completion fish | source      # this shell",
        "#   roadmap-sync completion fish > ~/.config/fish/completions/roadmap-sync.fish",
        f"set -g __roadmap_sync_commands {' '.join(shlex.quote(p) for p in paths[1:])}",
        f"set -g __roadmap_sync_valued {' '.join(shlex.quote(v) for v in valued)}",
        _FISH_PATH,
        f"complete -c {PROG} -f",
    ]
    for key, (_path, node) in zip(paths, nodes, strict=True):
        condition = shlex.quote(f"test (__roadmap_sync_path) = {shlex.quote(key)}")
        for name, (text, _sub) in node.commands.items():
            lines.append(f"complete -c {PROG} -n {condition} -a {name} -d {shlex.quote(text)}")
        if node.words:
            words = shlex.quote(" ".join(node.words))
            lines.append(f"complete -c {PROG} -n {condition} -a {words}")
        for option in node.options:
            flags = " ".join(
                f"-l {flag[2:]}" if flag.startswith("--") else f"-s {flag[1:]}"
                for flag in option.flags
            )
            value = ""
            if option.choices:
                value = f" -x -a {shlex.quote(' '.join(option.choices))}"
            elif option.is_path:
                value = " -r -F"
            elif option.takes_value:
                value = " -x"
            help_text = shlex.quote(option.help.split(". ")[0])
            lines.append(f"complete -c {PROG} -n {condition} {flags}{value} -d {help_text}")
    return "\n".join(lines) + "\n"


SCRIPTS = {"bash": bash_script, "zsh": zsh_script, "fish": fish_script}


def add_arguments(commands: argparse._SubParsersAction[Any], root: argparse.ArgumentParser) -> None:
    """Register completion; `root` is the whole command line it completes."""
    parser = add_command(
        commands,
        "completion",
        summary="print a shell completion script (bash, zsh or fish)",
        description="Print the completion script for a shell: commands, options and their "
        "values (formats, flavors, files) complete with Tab.",
        examples=[
            ("source <(roadmap-sync completion bash)", "bash, this shell; add it to ~/.bashrc"),
            ("source <(roadmap-sync completion zsh)", "zsh, after compinit; add it to ~/.zshrc"),
            ("roadmap-sync completion fish | source", "fish, this shell"),
        ],
        statuses=(0, 2),
    )
    parser.add_argument("shell", choices=SHELLS, help="the shell to complete in")

    def handler(ctx: CommandContext, args: argparse.Namespace) -> int:
        ctx.out.file.write(SCRIPTS[args.shell](command_tree(root)))
        return EXIT_OK

    parser.set_defaults(handler=handler)
