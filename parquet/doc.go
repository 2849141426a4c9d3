// Package parquet writes ctconv's records as Apache Parquet files and
// reads them back, so that the captures of many hosts load in the engines
// that analysts query them with (DuckDB, Spark, Trino, ClickHouse).
//
// A file holds one row per flow, in flat columns named in snake_case
// (docs/PARQUET.md lists them), and, on every row, the capture's host,
// time and source format, so that many files union in one query. A field
// the flow lacks is NULL. The columns hold everything JSON Lines hold, so
// that a file reads back into the same records: Reader gives the flows
// that Writer was given, as the JSON Lines of both show.
//
// This package is the only one of ctconv that imports a Parquet library
// (github.com/parquet-go/parquet-go): format, codec and snapshot pull in
// nothing of it. The library reads the files; the package writes them
// itself, with the library's structures and encodings, as the library's
// writer took three times as long.
package parquet
