import { fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { ConfirmButton } from '@/components/confirm-button';

describe('ConfirmButton', () => {
  it('asks first and acts only on yes', () => {
    const onConfirm = vi.fn();
    render(
      <ConfirmButton onConfirm={onConfirm} question="Delete acme?">
        Delete
      </ConfirmButton>,
    );
    fireEvent.click(screen.getByRole('button', { name: 'Delete' }));
    expect(onConfirm).not.toHaveBeenCalled();
    expect(screen.getByRole('group', { name: 'Delete acme?' })).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'Yes, do it' }));
    expect(onConfirm).toHaveBeenCalledTimes(1);
    // Back to the plain button, ready for the next time.
    expect(screen.getByRole('button', { name: 'Delete' })).toBeTruthy();
  });

  it('cancels without acting', () => {
    const onConfirm = vi.fn();
    render(
      <ConfirmButton onConfirm={onConfirm} question="Rotate the token?" confirmLabel="Rotate">
        Rotate token
      </ConfirmButton>,
    );
    fireEvent.click(screen.getByRole('button', { name: 'Rotate token' }));
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(onConfirm).not.toHaveBeenCalled();
    expect(screen.queryByRole('button', { name: 'Rotate' })).toBeNull();
  });

  it('cannot be started while disabled', () => {
    render(
      <ConfirmButton onConfirm={vi.fn()} question="Delete?" disabled>
        Delete
      </ConfirmButton>,
    );
    expect((screen.getByRole('button', { name: 'Delete' }) as HTMLButtonElement).disabled).toBe(true);
  });
});
