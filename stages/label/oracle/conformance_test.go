package oracle_test

import (
	"context"
	"testing"

	"github.com/distillery/distillery/stages/label/oracle"
	"github.com/distillery/distillery/stages/label/oracle/oracletest"
)

// Each oracle is built as the commands build it, through oracle.New.
func newOracle(t *testing.T, cfg oracle.Config) oracle.Oracle {
	t.Helper()
	o, err := oracle.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestGemini_Conformance(t *testing.T) {
	oracletest.Run(t, oracletest.Gemini, func(t *testing.T, at oracletest.Target) oracle.Oracle {
		return newOracle(t, oracle.Config{Kind: "gemini", Model: oracletest.GeminiModel, BaseURL: at.URL, Timeout: at.Timeout, Filter: at.Filter})
	})
}

func TestOpenAI_Conformance(t *testing.T) {
	oracletest.Run(t, oracletest.OpenAI, func(t *testing.T, at oracletest.Target) oracle.Oracle {
		return newOracle(t, oracle.Config{Kind: "openai", Model: oracletest.OpenAIModel, BaseURL: at.URL + "/v1", Timeout: at.Timeout, Filter: at.Filter})
	})
}

func TestKeywords_Conformance(t *testing.T) {
	oracletest.Run(t, nil, func(t *testing.T, at oracletest.Target) oracle.Oracle {
		return newOracle(t, oracle.Config{Kind: "keywords", Filter: at.Filter})
	})
}

func TestSimulate_Conformance(t *testing.T) {
	oracletest.Run(t, nil, func(t *testing.T, at oracletest.Target) oracle.Oracle {
		return newOracle(t, oracle.Config{Kind: "simulate", Model: "offset=1,noise=0.5", Filter: at.Filter})
	})
}
