// Porter stemmer (Porter 1980, with the two usual departures: -bli -> -ble, -logi -> -log, and
// words of one or two letters left alone). It must give exactly what lunr.py's stemmer gives,
// because the index is built in Python and queried here. That includes one quirk: the buffer
// keeps characters past the current end, and reading the character before position 0 wraps
// around to the end of the buffer (Python's negative index), which decides a few short words.
// Works on code points so astral characters count as one letter, as in Python.

class PorterWord {
  constructor(word) {
    this.b = Array.from(word);
    this.k = this.b.length - 1;
    this.j = 0;
  }

  at(i) {
    return i < 0 ? this.b[this.b.length + i] : this.b[i];
  }

  isConsonant(i) {
    const ch = this.at(i);
    if (ch === 'a' || ch === 'e' || ch === 'i' || ch === 'o' || ch === 'u') return false;
    if (ch === 'y') return i === 0 ? true : !this.isConsonant(i - 1);
    return true;
  }

  // Number of vowel-consonant sequences in b[0..j].
  measure() {
    let n = 0;
    let i = 0;
    for (;;) {
      if (i > this.j) return n;
      if (!this.isConsonant(i)) break;
      i += 1;
    }
    i += 1;
    for (;;) {
      for (;;) {
        if (i > this.j) return n;
        if (this.isConsonant(i)) break;
        i += 1;
      }
      i += 1;
      n += 1;
      for (;;) {
        if (i > this.j) return n;
        if (!this.isConsonant(i)) break;
        i += 1;
      }
      i += 1;
    }
  }

  vowelInStem() {
    for (let i = 0; i <= this.j; i += 1) if (!this.isConsonant(i)) return true;
    return false;
  }

  doubleConsonant(j) {
    if (j < 1) return false;
    if (this.at(j) !== this.at(j - 1)) return false;
    return this.isConsonant(j);
  }

  consonantVowelConsonant(i) {
    if (i < 2 || !this.isConsonant(i) || this.isConsonant(i - 1) || !this.isConsonant(i - 2)) return false;
    const ch = this.at(i);
    return !(ch === 'w' || ch === 'x' || ch === 'y');
  }

  endsWith(suffix) {
    const letters = Array.from(suffix);
    const length = letters.length;
    if (letters[length - 1] !== this.at(this.k)) return false;
    if (length > this.k + 1) return false;
    for (let offset = 0; offset < length; offset += 1) {
      if (this.b[this.k - length + 1 + offset] !== letters[offset]) return false;
    }
    this.j = this.k - length;
    return true;
  }

  // Replaces b[j+1..] with the suffix; like the reference, the tail is cut by the NEW length.
  setTo(suffix) {
    const letters = Array.from(suffix);
    const length = letters.length;
    this.b = this.b.slice(0, this.j + 1).concat(letters, this.b.slice(this.j + length + 1));
    this.k = this.j + length;
  }

  replaceIfMeasured(suffix) {
    if (this.measure() > 0) this.setTo(suffix);
  }

  step1ab() {
    if (this.at(this.k) === 's') {
      if (this.endsWith('sses')) this.k -= 2;
      else if (this.endsWith('ies')) this.setTo('i');
      else if (this.at(this.k - 1) !== 's') this.k -= 1;
    }
    if (this.endsWith('eed')) {
      if (this.measure() > 0) this.k -= 1;
    } else if ((this.endsWith('ed') || this.endsWith('ing')) && this.vowelInStem()) {
      this.k = this.j;
      if (this.endsWith('at')) this.setTo('ate');
      else if (this.endsWith('bl')) this.setTo('ble');
      else if (this.endsWith('iz')) this.setTo('ize');
      else if (this.doubleConsonant(this.k)) {
        this.k -= 1;
        const ch = this.at(this.k);
        if (ch === 'l' || ch === 's' || ch === 'z') this.k += 1;
      } else if (this.measure() === 1 && this.consonantVowelConsonant(this.k)) this.setTo('e');
    }
  }

  step1c() {
    if (this.endsWith('y') && this.vowelInStem()) {
      this.b = this.b.slice(0, this.k).concat(['i'], this.b.slice(this.k + 1));
    }
  }

  // Tries the rules in order; the first suffix that matches decides (even if measure fails).
  applyFirst(rules) {
    for (const [suffix, replacement] of rules) {
      if (this.endsWith(suffix)) {
        this.replaceIfMeasured(replacement);
        return;
      }
    }
  }

  step2() {
    const rulesByPenultimate = {
      a: [['ational', 'ate'], ['tional', 'tion']],
      c: [['enci', 'ence'], ['anci', 'ance']],
      e: [['izer', 'ize']],
      l: [['bli', 'ble'], ['alli', 'al'], ['entli', 'ent'], ['eli', 'e'], ['ousli', 'ous']],
      o: [['ization', 'ize'], ['ation', 'ate'], ['ator', 'ate']],
      s: [['alism', 'al'], ['iveness', 'ive'], ['fulness', 'ful'], ['ousness', 'ous']],
      t: [['aliti', 'al'], ['iviti', 'ive'], ['biliti', 'ble']],
      g: [['logi', 'log']],
    };
    const rules = rulesByPenultimate[this.at(this.k - 1)];
    if (rules) this.applyFirst(rules);
  }

  step3() {
    const rulesByLast = {
      e: [['icate', 'ic'], ['ative', ''], ['alize', 'al']],
      i: [['iciti', 'ic']],
      l: [['ical', 'ic'], ['ful', '']],
      s: [['ness', '']],
    };
    const rules = rulesByLast[this.at(this.k)];
    if (rules) this.applyFirst(rules);
  }

  step4() {
    const suffixesByPenultimate = {
      a: ['al'],
      c: ['ance', 'ence'],
      e: ['er'],
      i: ['ic'],
      l: ['able', 'ible'],
      n: ['ant', 'ement', 'ment', 'ent'],
      s: ['ism'],
      t: ['ate', 'iti'],
      u: ['ous'],
      v: ['ive'],
      z: ['ize'],
    };
    const penultimate = this.at(this.k - 1);
    let matched = false;
    if (penultimate === 'o') {
      if (this.endsWith('ion') && (this.at(this.j) === 's' || this.at(this.j) === 't')) matched = true;
      else if (this.endsWith('ou')) matched = true;
    } else {
      for (const suffix of suffixesByPenultimate[penultimate] || []) {
        if (this.endsWith(suffix)) {
          matched = true;
          break;
        }
      }
    }
    if (matched && this.measure() > 1) this.k = this.j;
  }

  step5() {
    this.j = this.k;
    if (this.at(this.k) === 'e') {
      const m = this.measure();
      if (m > 1 || (m === 1 && !this.consonantVowelConsonant(this.k - 1))) this.k -= 1;
    }
    if (this.at(this.k) === 'l' && this.doubleConsonant(this.k) && this.measure() > 1) this.k -= 1;
  }
}

export function stem(word) {
  const porter = new PorterWord(word);
  if (porter.k <= 1) return word;
  porter.step1ab();
  porter.step1c();
  porter.step2();
  porter.step3();
  porter.step4();
  porter.step5();
  return porter.b.slice(0, porter.k + 1).join('');
}
