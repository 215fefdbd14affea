package mcp

import sdk "github.com/modelcontextprotocol/go-sdk/mcp"

// SDK (for the tests) is the server of the MCP SDK, to connect transports to.
func (s *Server) SDK() *sdk.Server { return s.sdk }
