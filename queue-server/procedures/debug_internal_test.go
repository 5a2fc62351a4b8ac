package procedures

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestDebugScores(t *testing.T) {
	if os.Getenv("PROCEDURES_DEBUG") == "" {
		return
	}
	c := Default()
	f, _ := os.Open("testdata/questions-tuned.tsv")
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		id, q, ok := strings.Cut(sc.Text(), "\t")
		if !ok || strings.HasPrefix(id, "#") {
			continue
		}
		ms, cv := c.rank(q)
		if len(ms) == 0 {
			fmt.Printf("%s\t%q\tnone\n", id, q)
			continue
		}
		fmt.Printf("%s\t%q\t%s\t%.2f\t%.2f\t%v\n", id, q, ms[0].Procedure.ID, ms[0].Score, cv[0], ms[0].Procedure.ID == id)
	}
}

func TestDebugOne(t *testing.T) {
	q := os.Getenv("PROCEDURES_Q")
	if q == "" {
		return
	}
	c := Default()
	ts, n := c.index.query(q)
	fmt.Println(n)
	for _, x := range ts {
		fmt.Printf("%+v\n", x)
	}
	ms, cv := c.rank(q)
	for i := range min(3, len(ms)) {
		fmt.Println(ms[i].Procedure.ID, ms[i].Score, cv[i])
	}
}
