package pglimits_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"xephang/queue-server/httpapi"
	"xephang/queue-server/pglimits"
	"xephang/queue-server/testsrv"
)

// One take on PostgreSQL (a durable cluster: fsync on, as production
// runs) against one in memory, one caller and many. "logged" is the same
// schema without UNLOGGED: what a flush per take would cost.
func BenchmarkTake(b *testing.B) {
	c := testsrv.StartPostgres(b, testsrv.PGOptions{})
	impls := []struct {
		name string
		l    httpapi.Limits
	}{{"memory", httpapi.NewMemoryLimits()}}
	for _, v := range []struct{ name, alter string }{
		{"postgres", ""},
		{"postgres-logged", "ALTER TABLE rate_buckets SET LOGGED; ALTER TABLE backoff_strikes SET LOGGED"},
	} {
		url := c.CreateDB(b)
		migrate(b, url)
		pool := newPool(b, url)
		if v.alter != "" {
			if _, err := pool.Exec(context.Background(), v.alter); err != nil {
				b.Fatal(err)
			}
		}
		impls = append(impls, struct {
			name string
			l    httpapi.Limits
		}{v.name, pglimits.New(pool)})
	}
	// A thousand addresses, each far from its limit: every take is a
	// refill and a token taken, the common case.
	rate := httpapi.Rate{Name: "bench", Burst: 1 << 30, Window: time.Hour}
	now := time.Date(2026, 11, 24, 2, 0, 0, 0, time.UTC)
	for _, im := range impls {
		b.Run(im.name, func(b *testing.B) {
			ctx := context.Background()
			for i := 0; b.Loop(); i++ {
				if ok, err := im.l.Take(ctx, rate, strconv.Itoa(i%1000), now); err != nil || !ok {
					b.Fatal(ok, err)
				}
			}
		})
		b.Run(im.name+"-16-callers", func(b *testing.B) {
			b.SetParallelism(8) // 16 callers on 2 cores, 4 connections (the pool's default here)
			var n atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					i := n.Add(1)
					if ok, err := im.l.Take(ctx, rate, strconv.FormatInt(i%1000, 10), now); err != nil || !ok {
						b.Error(ok, err)
						return
					}
				}
			})
		})
	}
}
