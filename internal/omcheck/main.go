// Command omcheck checks metrics in the OpenMetrics text format with
// Prometheus' own parsers, for the tests of ctconv stats --format
// openmetrics. It decodes each document with prometheus/common's
// OpenMetrics 1.0 decoder (strict: # EOF, units, counter suffixes) and its
// text-format parser (what node_exporter's textfile collector reads .prom
// files with), and prints what each found as JSON: the metric families,
// their type, unit and samples, or the error of either.
//
// It reads documents from standard input until its end, each a line with
// its length in bytes and then the document, and answers each with a line
// of JSON: one process checks them all, since the OpenMetrics decoder
// compiles its grammar once a process, which takes half a second.
//
// It is a module of its own, so that the parser's dependencies stay out of
// ctconv's module: cmd/ctconv's tests build it with go build.
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// family is a metric family as the test compares it.
type family struct {
	Name    string   `json:"name"`
	Type    string   `json:"type"`
	Unit    string   `json:"unit,omitempty"`
	Help    string   `json:"help"`
	Samples []sample `json:"samples"`
}

type sample struct {
	Labels map[string]string `json:"labels,omitempty"`
	Value  float64           `json:"value"`
}

func convert(mf *dto.MetricFamily) family {
	f := family{Name: mf.GetName(), Type: mf.GetType().String(), Unit: mf.GetUnit(), Help: mf.GetHelp()}
	for _, m := range mf.GetMetric() {
		s := sample{Labels: map[string]string{}}
		for _, l := range m.GetLabel() {
			s.Labels[l.GetName()] = l.GetValue()
		}
		switch {
		case m.Counter != nil:
			s.Value = m.GetCounter().GetValue()
		case m.Gauge != nil:
			s.Value = m.GetGauge().GetValue()
		case m.Untyped != nil:
			s.Value = m.GetUntyped().GetValue()
		}
		f.Samples = append(f.Samples, s)
	}
	return f
}

// result is the answer to a document.
type result struct {
	OpenMetrics []family `json:"openmetrics"`
	Text        []family `json:"text"`
	Error       string   `json:"error,omitempty"`
}

func main() {
	in := bufio.NewReader(os.Stdin)
	out := json.NewEncoder(os.Stdout)
	for {
		line, err := in.ReadString('\n')
		if err == io.EOF && line == "" {
			return
		}
		n, perr := strconv.Atoi(strings.TrimSuffix(line, "\n"))
		if err != nil || perr != nil || n < 0 {
			fmt.Fprintf(os.Stderr, "omcheck: a document's length: %q: %v\n", line, cmp.Or(err, perr))
			os.Exit(1)
		}
		data := make([]byte, n)
		if _, err := io.ReadFull(in, data); err != nil {
			fmt.Fprintf(os.Stderr, "omcheck: a document of %d bytes: %v\n", n, err)
			os.Exit(1)
		}
		r, err := check(data)
		if err != nil {
			r = result{Error: err.Error()}
		}
		if err := out.Encode(r); err != nil {
			os.Exit(1)
		}
	}
}

// check decodes data with both parsers.
func check(data []byte) (r result, err error) {
	dec := expfmt.NewDecoder(bytes.NewReader(data), expfmt.NewFormat(expfmt.TypeOpenMetrics))
	for {
		var mf dto.MetricFamily
		err := dec.Decode(&mf)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return r, fmt.Errorf("openmetrics: %v", err)
		}
		r.OpenMetrics = append(r.OpenMetrics, convert(&mf))
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(data))
	if err != nil {
		return r, fmt.Errorf("text format: %v", err)
	}
	for _, name := range slices.Sorted(maps.Keys(fams)) {
		r.Text = append(r.Text, convert(fams[name]))
	}
	return r, nil
}
