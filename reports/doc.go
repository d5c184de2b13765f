// Package reports turns an incident into documents: the PDF post-mortem,
// the same content in Markdown, the timeline as CSV, the whole incident as
// JSON, and the zip evidence bundle that carries an incident to another
// machine. Renderers are pure: data in, bytes out, no clock, no store, so
// the same incident always gives the same bytes.
package reports
