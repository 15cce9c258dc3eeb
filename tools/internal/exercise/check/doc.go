// Package check holds the checks of the workshop's exercises, and the
// harness they run in.
//
// A check is black-box: it never imports the attendee's code. NewBuild
// builds the step's commands (go build ./cmd/...) from the attendee's copy,
// and a compile error comes back as a *BuildError that holds the compiler's
// output as it is. Each Case then starts the commands it needs in processes
// of their own, on free loopback ports, and looks only at what any correct
// solution shows, whatever its internal names: HTTP answers, gRPC replies,
// log lines, /metrics and the spans sent to a stand-in Zipkin collector.
//
// The checks of an exercise are a list of cases, each with a name in plain
// words, run one after the other by Run; the attendee sees how many pass and
// the first failure. Registry maps each exercise's ID to its cases.
//
// A case names the commands it runs (Case.Commands, addsvc if none), so that
// a check builds only those. Cases run side by side, and wait on events, not
// for the longest time something may take: WaitLog and WaitSpans, when what
// they wait for has not come, drain the service (stop it gracefully and wait
// for it to exit, which logs every line and sends every span), and then
// look once more. A message shows what was sent and what came back, each cut
// to about 80 characters (clip), and the most likely place of the bug (both,
// where two fit).
//
// A case gets an *Env, whose helpers it uses:
//
//   - env.Start(ctx, Options{GRPC: true, Flags: …}) starts addsvc (or
//     Options.Command) with -http-addr and -grpc-addr on free ports and waits
//     until they accept connections;
//   - Service.Post, Get and Do make HTTP calls on a fresh connection each, and
//     Response.Client is the caller's address as the service logs it;
//   - Service.CallGRPC calls a gRPC method through the server's reflection;
//   - Service.WaitLog waits for a log line; Service.Log returns them all;
//   - Service.Scrape reads /metrics; Metrics.Value finds a series by its
//     exact labels, Metrics.Sum adds up the series that have some labels;
//   - env.RunCommand runs a command (addcli) to its end: output, exit code;
//   - env.Zipkin() starts a collector; give its URL to -zipkin-url and wait
//     for spans with WaitSpans.
//
// Everything a case starts is stopped when it ends. A case returns nil when
// it passes, or an error that the attendee reads as it is: say what was
// sent, what came back, and what was expected.
package check
