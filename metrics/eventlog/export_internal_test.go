package eventlog

// EndsRun exposes endsRun to the external tests, which check the header.
var EndsRun = endsRun
