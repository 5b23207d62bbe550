/** Usage (tokens, cost, turns) in API responses: one attempt's report and totals over attempts. */
import { z } from 'zod';

/** What one attempt consumed, as its agent reported it (fields the agent did not report are absent). */
export const usageJson = z
  .object({
    inputTokens: z.number().optional(),
    outputTokens: z.number().optional(),
    cachedInputTokens: z.number().optional().describe('Prompt tokens served from the provider cache'),
    costUsd: z.number().optional().describe('Cost in US dollars, as the agent reported it'),
    turns: z.number().optional(),
    model: z.string().optional(),
    sessionId: z.string().optional().describe("The agent's own session or run id"),
  })
  .describe('Tokens, cost and turns the agent reported for this attempt');

/** Sums over attempts (failed attempts count too). */
export const usageTotalsJson = z
  .object({
    attempts: z.number().describe('Attempts that reported any usage'),
    inputTokens: z.number(),
    outputTokens: z.number(),
    cachedInputTokens: z.number(),
    costUsd: z.number(),
    turns: z.number(),
  })
  .describe('Tokens, cost and turns summed over attempts');
