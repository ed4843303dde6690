// Package report turns check results into a scorecard (the document defined
// by package protocol): scoring and maturity level, prioritised actions from
// the guidance catalogue, and the terminal and HTML renderers. The agent
// uses it to build scorecards and the hub to show them.
package report
