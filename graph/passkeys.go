package graph

import (
	"encoding/json"

	"github.com/gqlauth/gqlauth/auth"
	"github.com/gqlauth/gqlauth/graph/model"
)

func passkey(pk *auth.Passkey) *model.Passkey {
	return &model.Passkey{ID: pk.ID, Name: pk.Name, CreatedAt: pk.CreatedAt, LastUsedAt: pk.LastUsedAt}
}

// credentialJSON turns a credential argument back into the JSON a
// browser's PublicKeyCredential.toJSON() made: an object, or (as some
// clients send it) that object as a string.
func credentialJSON(v any) ([]byte, error) {
	if s, ok := v.(string); ok {
		if len(s) > auth.MaxCredentialBytes || !json.Valid([]byte(s)) {
			return nil, auth.CredentialError(auth.ReasonCredentialInvalid, "the credential must be PublicKeyCredential.toJSON()'s object")
		}
		v = json.RawMessage(s)
	}
	if _, ok := v.(map[string]any); !ok {
		if _, raw := v.(json.RawMessage); !raw {
			return nil, auth.CredentialError(auth.ReasonCredentialInvalid, "the credential must be PublicKeyCredential.toJSON()'s object")
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, auth.CredentialError(auth.ReasonCredentialInvalid, "the credential is not JSON")
	}
	return b, nil
}
