package format

var quirkNames = [...]string{"unknown-name", "listen", "trailing-space", "use-before-mark", "signed-mark", "spaced-micros", "null-state", "crlf",
	"old-libnfct", "no-l3proto", "expecting"}
