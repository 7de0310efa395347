package predict

import (
	"context"
	"database/sql"

	"github.com/distillery/distillery/lake"
	"github.com/distillery/distillery/students"
	"github.com/distillery/distillery/students/lora"
	"github.com/distillery/distillery/students/probe"
)

// embedBatch is how many texts an embed model encodes at once: the
// encoder spreads a batch over every core while the next one is read.
const embedBatch = 2048

// textBatch is a batch of rows to score and their texts.
type textBatch struct {
	rows  []scored
	texts []string
}

// predictEmbed scores the rows of query with an embed model and the copy
// of its encoder in its folder (never the lake's encoders/, which distill
// embed may have refitted since), a batch at a time, in the query's order.
// A model trained on a sentence encoder starts the trainer on the folder
// it names, with python (--python), else $DISTILL_PYTHON, else the Python
// it was trained with. One goroutine reads the next batch while the
// current one is encoded and scored on every core; the scores do not
// depend on the number of cores (each text's vector and scores are its own).
func predictEmbed(ctx context.Context, sess *lake.Session, query string, m *students.Model, l *lake.Lake, python string, emit func(scored), rb *lake.RowBuilder) error {
	model, enc, err := probe.OpenWith(ctx, m.Dir(l), lora.Python(python, m.Python()))
	if err != nil {
		return err
	}
	defer enc.Close()
	readCtx, cancel := context.WithCancel(ctx)
	batches := make(chan textBatch, 1)
	var readErr error
	go func() {
		defer close(batches)
		readErr = readTextBatches(readCtx, sess, query, batches)
	}()
	// stop ends the reader and waits for it (it closes batches).
	stop := func() {
		cancel()
		for range batches {
		}
	}
	defer stop()
	for b := range batches {
		preds, err := model.PredictTexts(ctx, enc, b.texts)
		if err != nil {
			return err
		}
		for i, p := range preds {
			if rb != nil && rb.Stopped() { // nil: Score, no table written
				return ctx.Err()
			}
			b.rows[i].scores = p
			emit(b.rows[i])
		}
	}
	return readErr
}

// readTextBatches reads query's (id, text, split) rows into batches of
// embedBatch and sends them, in the query's order.
func readTextBatches(ctx context.Context, sess *lake.Session, query string, out chan<- textBatch) error {
	var b textBatch
	send := func() error {
		select {
		case out <- b:
			b = textBatch{}
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	err := sess.Each(ctx, query, func(rows *sql.Rows) error {
		var s scored
		var text string
		var split sql.NullString
		if err := rows.Scan(&s.id, &text, &split); err != nil {
			return err
		}
		s.split = split.String
		b.rows, b.texts = append(b.rows, s), append(b.texts, text)
		if len(b.texts) >= embedBatch {
			return send()
		}
		return nil
	})
	if err != nil || len(b.texts) == 0 {
		return err
	}
	return send()
}
