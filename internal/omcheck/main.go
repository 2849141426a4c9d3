// Command omcheck checks metrics in the OpenMetrics text format with
// Prometheus' own parsers, for the tests of ctconv stats --format
// openmetrics: it reads standard input, decodes it with prometheus/common's
// OpenMetrics 1.0 decoder (strict: # EOF, units, counter suffixes) and its
// text-format parser (what node_exporter's textfile collector reads .prom
// files with), and prints what each found as JSON: the metric families,
// their type, unit and samples. Any error of either exits 1.
//
// It is a module of its own, so that the parser's dependencies stay out of
// ctconv's module: cmd/ctconv's tests build it with go build.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

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

func main() {
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail("reading: %v", err)
	}
	var out struct {
		OpenMetrics []family `json:"openmetrics"`
		Text        []family `json:"text"`
	}
	dec := expfmt.NewDecoder(bytes.NewReader(data), expfmt.NewFormat(expfmt.TypeOpenMetrics))
	for {
		var mf dto.MetricFamily
		err := dec.Decode(&mf)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fail("openmetrics: %v", err)
		}
		out.OpenMetrics = append(out.OpenMetrics, convert(&mf))
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(data))
	if err != nil {
		fail("text format: %v", err)
	}
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for n := range fams {
			if !yield(n) {
				return
			}
		}
	}) {
		out.Text = append(out.Text, convert(fams[name]))
	}
	json.NewEncoder(os.Stdout).Encode(out)
}

func fail(f string, a ...any) {
	fmt.Fprintf(os.Stderr, "omcheck: "+f+"\n", a...)
	os.Exit(1)
}
