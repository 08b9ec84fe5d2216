// The one token estimate every budget and context check uses: ~4 characters per token (GPT-style BPE on
// English). It undercounts real tokenizers on web text; the checks that matter also read the server's count.
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** A chat request's prompt: each message's text plus a few tokens of role framing (the chat template). */
export function estimatePromptTokens(
  messages: ReadonlyArray<{ content: string }>,
  count: (text: string) => number = estimateTokens,
): number {
  return messages.reduce((sum, m) => sum + count(m.content) + 4, 3);
}
