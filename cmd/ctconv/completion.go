package main

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/ctconv/ctconv/format"
)

const completionHelp = `Usage: ctconv completion bash|zsh

Prints a script that completes ctconv's commands, flags, formats and files
in bash or zsh. Load it in your shell's start-up file:

  bash:  source <(ctconv completion bash)       (in ~/.bashrc)
  zsh:   source <(ctconv completion zsh)        (in ~/.zshrc)
`

// commands are the commands completion offers, in the order of the help.
var commands = []string{"convert", "snapshot", "diff", "check", "stats", "watch", "completion"}

func completionCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
		_, err := io.WriteString(stdout, completionHelp)
		return wrote(stderr, "completion", err, 0)
	}
	if len(args) != 1 || args[0] != "bash" && args[0] != "zsh" {
		fmt.Fprint(stderr, "ctconv completion: want bash or zsh\n\n"+completionHelp)
		return 2
	}
	script := bashCompletion()
	if args[0] == "zsh" {
		script = "#compdef ctconv\nautoload -U +X bashcompinit && bashcompinit\n" + script
	}
	_, err := io.WriteString(stdout, script)
	return wrote(stderr, "completion", err, 0)
}

var flagLine = regexp.MustCompile(`(?m)^  (--?[a-z][a-z-]*)`)

// flagsOf returns the flags of a command, as its help lists them.
func flagsOf(cmd string) []string {
	var out bytes.Buffer
	run([]string{cmd, "--help"}, strings.NewReader(""), &out, io.Discard)
	var flags []string
	for _, m := range flagLine.FindAllStringSubmatch(out.String(), -1) {
		flags = append(flags, m[1])
	}
	return append(flags, "--help")
}

// bashCompletion returns the completion script for bash.
func bashCompletion() string {
	var formats []string
	for _, f := range format.Formats() {
		formats = append(formats, f.String())
	}
	var b strings.Builder
	b.WriteString("# ctconv completion for bash (ctconv completion bash)\n_ctconv() {\n")
	b.WriteString("    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} words\n")
	b.WriteString("    if [ \"$COMP_CWORD\" -eq 1 ]; then\n")
	fmt.Fprintf(&b, "        COMPREPLY=($(compgen -W %q -- \"$cur\"))\n        return\n    fi\n", strings.Join(commands, " ")+" --help --version")
	b.WriteString("    case $prev in\n")
	fmt.Fprintf(&b, "    --from) words=%q ;;\n", "auto "+strings.Join(formats, " ")+" json snapshot parquet")
	fmt.Fprintf(&b, "    --to) words=%q ;;\n", strings.Join(formats, " ")+" json snapshot parquet")
	b.WriteString("    --format) words=\"text json openmetrics\" ;;\n")
	fmt.Fprintf(&b, "    --with) words=%q ;;\n", strings.ReplaceAll(allOptions.String(), ",", " "))
	b.WriteString("    --family) words=\"ipv4 ipv6\" ;;\n")
	b.WriteString("    --proto) words=\"tcp udp udplite sctp dccp gre icmp icmpv6\" ;;\n")
	b.WriteString("    --status) words=\"ASSURED UNREPLIED SEEN_REPLY OFFLOAD HW_OFFLOAD\" ;;\n")
	b.WriteString("    --state) words=\"ESTABLISHED SYN_SENT SYN_RECV FIN_WAIT CLOSE_WAIT LAST_ACK TIME_WAIT CLOSE\" ;;\n")
	b.WriteString("    completion) words=\"bash zsh\" ;;\n")
	b.WriteString("    esac\n")
	b.WriteString("    if [ -n \"$words\" ]; then\n        COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n        return\n    fi\n")
	b.WriteString("    if [[ $cur == -* ]]; then\n        case ${COMP_WORDS[1]} in\n")
	for _, cmd := range commands[:len(commands)-1] {
		fmt.Fprintf(&b, "        %s) words=%q ;;\n", cmd, strings.Join(flagsOf(cmd), " "))
	}
	b.WriteString("        esac\n        COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n        return\n    fi\n")
	b.WriteString("    COMPREPLY=($(compgen -f -- \"$cur\"))\n}\n")
	b.WriteString("complete -o filenames -F _ctconv ctconv\n")
	return b.String()
}
