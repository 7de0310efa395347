package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// completeFlag, last on a command line, asks for the completions of the
// word before it instead of running anything; urfave/cli's name for it, so
// its own scripts work too.
const completeFlag = "--generate-bash-completion"

// The scripts pass the words typed so far and the one being completed (""
// when the cursor is after a space), then completeFlag. An empty answer
// lets the shell complete file names: a command's arguments, a flag's value.
var completionScripts = map[string]string{
	"bash": `# distill completion for bash: add to ~/.bashrc
#   source <(distill completion bash)
_distill() {
	local IFS=$'\n'
	COMPREPLY=($("${COMP_WORDS[0]}" "${COMP_WORDS[@]:1:COMP_CWORD-1}" "${COMP_WORDS[COMP_CWORD]}" ` + completeFlag + ` 2>/dev/null))
}
complete -o default -F _distill distill
`,
	"zsh": `# distill completion for zsh: add to ~/.zshrc (after compinit)
#   source <(distill completion zsh)
_distill() {
	local -a opts
	opts=("${(@f)$(${words[1]} ${words[2,CURRENT-1]} "${words[CURRENT]}" ` + completeFlag + ` 2>/dev/null)}")
	if [[ -n ${opts[1]} ]]; then
		compadd -- "${opts[@]}"
	else
		_files
	fi
}
compdef _distill distill
`,
	"fish": `# distill completion for fish: save as ~/.config/fish/completions/distill.fish
#   distill completion fish > ~/.config/fish/completions/distill.fish
function __distill_complete
	set -l words (commandline -opc)
	set -l out ($words[1] $words[2..-1] (commandline -ct) ` + completeFlag + ` 2>/dev/null)
	if test (count $out) -gt 0
		printf '%s\n' $out
	else
		__fish_complete_path (commandline -ct)
	end
end
complete -c distill -f -a '(__distill_complete)'
`,
}

func completionCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print a shell script that completes distill's commands and flags: source <(distill completion bash)",
		ArgsUsage: "bash|zsh|fish",
		Action: func(c *cli.Context) error {
			script, ok := completionScripts[c.Args().First()]
			if !ok || c.NArg() != 1 {
				return fmt.Errorf("completion takes one shell: bash, zsh or fish")
			}
			_, err := fmt.Fprint(e.stdout, script)
			return err
		},
	}
}

// completions are the words that can stand where cur is, after words (the
// command line without "distill"): the commands or subcommands there, or,
// when cur starts with a dash, the flags of the command named so far. After
// a flag that takes a value there are none.
func completions(app *cli.App, words []string, cur string) []string {
	cmds, flags := app.Commands, app.Flags
	root := true
	for i := 0; i < len(words); i++ {
		w := words[i]
		if w == "--" {
			return nil
		}
		if strings.HasPrefix(w, "-") {
			if takesValue(flags, w) && !strings.Contains(w, "=") {
				if i == len(words)-1 {
					return nil
				}
				i++
			}
			continue
		}
		if next := findCommand(cmds, w); next != nil {
			cmds, flags, root = next.Subcommands, next.Flags, false
		}
	}
	var cands []string
	if strings.HasPrefix(cur, "-") {
		for _, f := range flags {
			for _, n := range f.Names() {
				cands = append(cands, dashed(n))
			}
		}
		cands = append(cands, "--help")
	} else {
		cands = commandNames(cmds)
		if root || len(cmds) > 0 {
			cands = append(cands, "help")
		}
	}
	var out []string
	for _, c := range cands {
		if strings.HasPrefix(c, cur) {
			out = append(out, c)
		}
	}
	return out
}
