// node --test kbgen/assets/js/chat.test.js
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

// The build's strings scripts (tests/conftest.py node_strings_env writes them from the i18n files).
const STRINGS_FILES = (process.env.KBGEN_TEST_STRINGS || '').split(',').filter(Boolean);
for (const file of STRINGS_FILES) (0, eval)(readFileSync(file, 'utf8'));
import { MessageLog, chatText, textColourFor } from './chat.js';

test('messages show once each, in sequence order, however they arrive', () => {
  const log = new MessageLog();
  // a POST answer (seq 4) overtaken by the stream (5), then the stream replaying 3–5 after a reconnect
  for (const seq of [1, 2, 4, 5, 3, 4, 5]) log.add({ seq, body: `m${seq}` });
  assert.deepEqual(log.ordered().map((m) => m.seq), [1, 2, 3, 4, 5]);
  assert.equal(log.lastSeq, 5);
  assert.equal(log.add({ seq: 5, body: 'again' }), false);
  assert.equal(log.add({ body: 'no seq' }), false);
});

test('an empty log resumes from the start', () => {
  assert.equal(new MessageLog().lastSeq, 0);
});

test('text on the accent colour stays readable', () => {
  assert.equal(textColourFor('#0b6bcb'), '#ffffff');
  assert.equal(textColourFor('#ffd400'), '#111111');
  assert.equal(textColourFor('#fff'), '#111111');
  assert.equal(textColourFor('not a colour'), '#ffffff');   // falls back to the default blue
});

test('UI strings in English and Japanese, English for other languages', () => {
  assert.ok(STRINGS_FILES.length, 'run through pytest tests/test_chat_browser.py, which provides the strings');
  assert.equal(chatText('ja')('with_agent', { name: 'Alex' }), 'Alex が対応しています');
  assert.equal(chatText('en')('typing', { name: 'Alex' }), 'Alex is typing…');
  assert.equal(chatText('fr')('start'), 'Start chat');
});
