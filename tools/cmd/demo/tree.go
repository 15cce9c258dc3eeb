package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// spanNode is a span in the tree of its trace, with what the demo shows
// and checks of it.
type spanNode struct {
	traceID, id string
	parentID    string // "" for a root
	service     string // the process that reported the span, e.g. "addcli"
	name        string
	kind        string // "client", "server" or "" (the span.kind tag)
	start       int64  // microseconds since the epoch
	duration    int64  // microseconds
	err         string // the error tag, "" when there is none
	hasErr      bool
	orphan      bool // its parent is not in the trace, e.g. not received yet
	children    []*spanNode
}

// buildTree returns the roots of the trace's span tree, linked by the
// spans' parents, with children in the order that they began. A span whose
// parent is missing from the trace is a root too, marked as an orphan.
func buildTree(t jaegerTrace) []*spanNode {
	nodes := make(map[string]*spanNode, len(t.Spans))
	all := make([]*spanNode, 0, len(t.Spans))
	for _, s := range t.Spans {
		n := &spanNode{
			traceID:  s.TraceID,
			id:       s.SpanID,
			parentID: parentID(s),
			service:  t.Processes[s.ProcessID].ServiceName,
			name:     s.OperationName,
			start:    s.StartTime,
			duration: s.Duration,
		}
		n.kind, _ = tag(s, "span.kind")
		n.err, n.hasErr = tag(s, "error")
		nodes[n.id] = n
		all = append(all, n)
	}
	var roots []*spanNode
	for _, n := range all {
		parent, ok := nodes[n.parentID]
		switch {
		case n.parentID == "":
			roots = append(roots, n)
		case !ok || parent == n:
			n.orphan = true
			roots = append(roots, n)
		default:
			parent.children = append(parent.children, n)
		}
	}
	sortByStart(roots)
	for _, n := range all {
		sortByStart(n.children)
	}
	return roots
}

// sortByStart orders spans by when they began, then by ID.
func sortByStart(nodes []*spanNode) {
	sort.SliceStable(nodes, func(i, j int) bool {
		if nodes[i].start != nodes[j].start {
			return nodes[i].start < nodes[j].start
		}
		return nodes[i].id < nodes[j].id
	})
}

// treeLine is one span of a drawn tree, before its columns are aligned.
type treeLine struct {
	label    string // the tree's lines, the service and the span's name
	kind     string
	duration string
	err      string
}

// renderTree draws the span trees under roots, one span a line: indented
// by parent links, with its service, name, kind, duration and error.
func renderTree(roots []*spanNode) []string {
	var lines []treeLine
	var walk func(n *spanNode, lead, branch string)
	walk = func(n *spanNode, lead, branch string) {
		l := treeLine{
			label:    lead + branch + n.service + "  " + n.name,
			kind:     n.kind,
			duration: formatMicros(n.duration),
		}
		if n.orphan {
			l.label += " (its parent is missing)"
		}
		if n.hasErr {
			l.err = "error=" + strconv.Quote(n.err)
		}
		lines = append(lines, l)
		childLead := lead
		switch branch {
		case "├─ ":
			childLead += "│  "
		case "└─ ":
			childLead += "   "
		}
		for i, c := range n.children {
			b := "├─ "
			if i == len(n.children)-1 {
				b = "└─ "
			}
			walk(c, childLead, b)
		}
	}
	for _, r := range roots {
		walk(r, "", "")
	}

	var wLabel, wKind, wDur int
	for _, l := range lines {
		wLabel = max(wLabel, runeLen(l.label))
		wKind = max(wKind, len(l.kind))
		wDur = max(wDur, runeLen(l.duration))
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		s := padRight(l.label, wLabel)
		if wKind > 0 {
			s += "  " + padRight(l.kind, wKind)
		}
		s += "  " + padLeft(l.duration, wDur)
		if l.err != "" {
			s += "  " + l.err
		}
		out[i] = strings.TrimRight(s, " ")
	}
	return out
}

// formatMicros formats a duration given in microseconds, short and to
// about two significant digits: 87µs, 2.1ms, 14ms, 1.25s.
func formatMicros(us int64) string {
	switch {
	case us < 1000:
		return fmt.Sprintf("%dµs", us)
	case us < 10_000:
		return fmt.Sprintf("%.1fms", float64(us)/1000)
	case us < 1_000_000:
		return fmt.Sprintf("%.0fms", float64(us)/1000)
	default:
		return fmt.Sprintf("%.2fs", float64(us)/1e6)
	}
}
