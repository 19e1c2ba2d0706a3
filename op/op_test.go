package op_test

import (
	"testing"

	"github.com/gonakama/nakama/op"
)

func TestGRPCMethodOfSecondRoutes(t *testing.T) {
	for _, o := range op.All {
		want := "/nakama.api.Nakama/" + o.Name
		if o.VariantOf != "" {
			want = "/nakama.api.Nakama/" + o.VariantOf
			if op.ByName(o.VariantOf) == nil {
				t.Errorf("%s is a second route of %s, which is not in the table", o.Name, o.VariantOf)
			}
		}
		if got := o.GRPCMethod(); got != want {
			t.Errorf("%s: GRPCMethod() = %q, want %q", o.Name, got, want)
		}
	}
	if got := op.Get("RpcFunc2").GRPCMethod(); got != "/nakama.api.Nakama/RpcFunc" {
		t.Errorf("RpcFunc2 over gRPC = %q", got)
	}
}
