// Package fuzz holds ctconv's native Go fuzz targets, one for each path that
// reads bytes. Their seeds come from the corpus in ../testdata/corpus and
// from every bug found, kept under testdata/fuzz/<Target>, so plain
// `go test ./...` replays them. Run one target with
//
//	go test ./fuzz -run '^$' -fuzz '^FuzzProc$' -fuzztime 1m
package fuzz
