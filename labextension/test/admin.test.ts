/**
 * The Admin section's pure helpers: quota text both ways, audit lines, the profile form.
 */
import { describe, expect, it } from 'vitest';

import { profileSpec, resourcesText } from '../src/admin/section';
import { auditLine, quotaText, quotaValue } from '../src/admin/model';

describe('quotas in the Admin section', () => {
  it('reads a blank input as no limit and a whole number as itself', () => {
    expect(quotaValue('')).toBeNull();
    expect(quotaValue('  ')).toBeNull();
    expect(quotaValue(' 3 ')).toBe(3);
    expect(quotaValue('0')).toBe(0);
  });

  it('refuses what is not a whole number, naming it', () => {
    expect(() => quotaValue('-1')).toThrow(/"-1" is not a whole number/);
    expect(() => quotaValue('1.5')).toThrow(/not a whole number/);
    expect(() => quotaValue('lots')).toThrow(/not a whole number/);
  });

  it('shows null as no limit', () => {
    expect(quotaText(null)).toBe('no limit');
    expect(quotaText(undefined)).toBe('no limit');
    expect(quotaText(0)).toBe('0');
  });
});

describe('the profile form', () => {
  const fields = {
    name: 'gpu',
    cpu: ' 4 ',
    memory: '16Gi',
    gpu: '1',
    image: '',
    description: ' one GPU ',
    max_concurrent_per_user: '2'
  };

  it('sends trimmed values, whole numbers, and no image as null', () => {
    expect(profileSpec(fields)).toEqual({
      cpu: '4',
      memory: '16Gi',
      gpu: 1,
      image: null,
      description: 'one GPU',
      max_concurrent_per_user: 2
    });
  });

  it('refuses a GPU count that is not a whole number', () => {
    expect(() => profileSpec({ ...fields, gpu: 'two' })).toThrow(/gpu must be a whole number, not "two"/);
  });
});

describe('the audit list', () => {
  it('says version, who, what and which', () => {
    const entry = { version: 4, at: '2026-11-30T10:00:00+00:00', user: 'ana', action: 'put_profile', target: 'profile:gpu', before: null, after: {} };
    expect(auditLine(entry)).toBe('v4 ana put profile profile:gpu');
  });
});

describe('the profiles table', () => {
  it('says what a profile gives in one line', () => {
    const p = { name: 'g', cpu: '4', memory: '16Gi', gpu: 1, image: null, description: '', max_concurrent_per_user: 4 };
    expect(resourcesText(p)).toBe('4 CPU, 16Gi, 1 GPU');
    expect(resourcesText({ ...p, gpu: 0 })).toBe('4 CPU, 16Gi');
  });
});
