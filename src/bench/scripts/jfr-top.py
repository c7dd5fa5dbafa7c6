#!/usr/bin/env python3
"""Top frames of a JFR recording's execution samples: self time (leaf frame) and total time (anywhere on the stack).

    jfr print --events jdk.ExecutionSample --stack-depth 200 FILE.jfr | python3 src/bench/scripts/jfr-top.py [N]
"""
import collections
import re
import sys

top = int(sys.argv[1]) if len(sys.argv) > 1 else 25
self_count = collections.Counter()
total_count = collections.Counter()
samples = 0
stack = None
frame = re.compile(r'^\s+([\w$.<>/]+)\(')
for line in sys.stdin:
    if line.startswith('jdk.ExecutionSample'):
        stack = []
    elif stack is not None and line.strip().startswith(']') or (stack is not None and line.strip() == '}'):
        if stack:
            samples += 1
            self_count[stack[0]] += 1
            for f in set(stack):
                total_count[f] += 1
        stack = None
    elif stack is not None:
        m = frame.match(line)
        if m and 'line:' in line or (m and m.group(1).count('.') > 0):
            stack.append(m.group(1))
print(f'{samples} samples')
print('\nself (leaf frame):')
for f, c in self_count.most_common(top):
    print(f'{100.0 * c / samples:6.1f}%  {f}')
print('\ntotal (on the stack), io.kvwatch / jackson / flink frames:')
shown = 0
for f, c in total_count.most_common():
    if any(k in f for k in ('io.kvwatch', 'jackson', 'flink', 'MessageDigest', 'Instant', 'String')):
        print(f'{100.0 * c / samples:6.1f}%  {f}')
        shown += 1
        if shown >= top:
            break
