package main

import "context"

func cmdReport(ctx context.Context, e *env, args []string) error {
	return usageErr("report: not available yet")
}

func cmdExplain(ctx context.Context, e *env, args []string) error {
	return usageErr("explain: not available yet")
}
