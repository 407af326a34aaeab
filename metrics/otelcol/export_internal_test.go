package otelcol

// Distinct is distinct, for the external tests.
var Distinct = distinct
