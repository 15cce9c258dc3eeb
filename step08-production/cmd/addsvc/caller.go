package main

import (
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/go-kit/log"
)

// cachedCaller returns a log.Valuer that writes what go-kit's
// log.Caller(depth) writes, the file and line of the code that logs, such as
// main.go:42, for less: go-kit's asks the runtime for the file and line of
// every line it logs, and makes a string of them each time, where this one
// asks it for the program counter only, and makes the string once for each
// place in the code that logs (a few dozen; the cache holds no more).
// cachedCaller(3) is log.DefaultCaller.
func cachedCaller(depth int) log.Valuer {
	var (
		mu    sync.RWMutex
		cache = map[uintptr]any{}
	)
	return func() any {
		var pc [1]uintptr
		// Callers counts itself as frame 0 and Caller does not: depth+1
		// here is the frame that log.Caller(depth) finds.
		if runtime.Callers(depth+1, pc[:]) == 0 {
			return ":0" // no caller at that depth: what log.Caller writes then
		}
		mu.RLock()
		v, ok := cache[pc[0]]
		mu.RUnlock()
		if ok {
			return v
		}
		// What runtime.Caller does with the program counter, and then
		// log.Caller with the file and line.
		frame, _ := runtime.CallersFrames(pc[:]).Next()
		v = frame.File[strings.LastIndexByte(frame.File, '/')+1:] + ":" + strconv.Itoa(frame.Line)
		mu.Lock()
		cache[pc[0]] = v
		mu.Unlock()
		return v
	}
}
