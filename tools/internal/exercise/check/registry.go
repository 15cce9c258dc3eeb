package check

// Registry returns the checks of every exercise, keyed by its ID ("2.1").
// A new exercise adds its line here, and its cases in the file of its step
// (stepNN.go).
func Registry() map[string][]Case {
	return map[string][]Case{
		"2.1": step02LogRequests(),
		"2.2": step02LogCalls(),
		"3.1": step03ServeMetrics(),
		"3.2": step03CountRequests(),
		"4.1": step04BusinessRules(),
		"4.2": step04LogCalls(),
		"4.3": step04CountWork(),
		"5.1": step05Endpoints(),
		"5.2": step05RateLimit(),
		"5.3": step05Durations(),
		"6.1": step06HTTPErrors(),
		"6.2": step06GRPCServer(),
		"6.3": step06ClientErrors(),
		"7.1": step07Extract(),
		"7.2": step07EndpointSpans(),
		"7.3": step07Inject(),
		"8.1": step08ConnectionCaps(),
		"8.2": step08BoundedLog(),
		"8.3": step08MakeRoom(),
		"9.1": step09Transport(),
		"9.2": step09Balancing(),
		"9.3": step09Inject(),
	}
}
