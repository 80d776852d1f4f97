// A module workflow with a zod input schema. The server turns it into the tool's JSON Schema
// and validates calls against it before the workflow runs.
import { z } from 'zod';

export default {
  name: 'Text Stats',
  description: 'Counts words, sentences and characters in a text, lists its most frequent words and estimates reading time.',
  version: 1,
  input: z.object({
    text: z.string().min(1).describe('The text to analyse.'),
    top: z.number().int().min(1).max(50).default(5).describe('How many frequent words to list.'),
    ignore_case: z.boolean().default(true),
  }),
  run({ text, top, ignore_case }, ctx) {
    ctx.progress('counting words');
    const words = (ignore_case ? text.toLowerCase() : text).match(/[\p{L}\p{N}']+/gu) ?? [];
    const freq = new Map();
    for (const w of words) freq.set(w, (freq.get(w) ?? 0) + 1);
    const frequent = [...freq.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, top).map(([word, count]) => ({ word, count }));
    return {
      words: words.length,
      unique_words: freq.size,
      sentences: (text.match(/[.!?]+(\s|$)/g) ?? []).length || (text.trim() ? 1 : 0),
      characters: [...text].length,
      reading_seconds: Math.ceil((words.length / 230) * 60),
      frequent,
    };
  },
};
