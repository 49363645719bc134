import { useState } from 'react';
import { ConsoleCreateAgentDocument, ConsoleManageAgentDocument, ConsoleResetPasswordDocument, type AgentRole } from '../generated/console';
import { FormDialog } from './FormDialog';
import { useSubmit } from './hooks';
import type { ConsoleStore } from './store';

/** An agent as the supervisor's form edits it (allAgents: deactivated ones included). */
export interface ManagedAgent {
  id: string;
  name: string;
  email: string | null;
  role: AgentRole;
  skills: string[];
  maxConcurrentChats: number;
  active: boolean;
}

const skillsOf = (text: string) => text.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);

/**
 * Supervisors (team extension): the new-agent form (`agent` null) or one agent's (skills,
 * capacity, role, email, active, a new password). Saved through createAgent / updateAgent /
 * resetAgentPassword; the server's refusal (the last supervisor, a taken email) is shown as it is.
 */
export function AgentForm({ store, agent, onDone }: { store: ConsoleStore; agent: ManagedAgent | null; onDone: (saved: boolean) => void }) {
  const [name, setName] = useState(agent?.name ?? '');
  const [email, setEmail] = useState(agent?.email ?? '');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<AgentRole>(agent?.role ?? 'AGENT');
  const [skills, setSkills] = useState(agent?.skills.join(', ') ?? '');
  const [capacity, setCapacity] = useState(String(agent?.maxConcurrentChats ?? 3));
  const [active, setActive] = useState(agent?.active ?? true);
  const { error, busy, submit: save } = useSubmit(async () => {
    const common = { name: name.trim(), skills: skillsOf(skills), maxConcurrentChats: Number(capacity), role };
    if (!agent) {
      await store.call(ConsoleCreateAgentDocument, { input: { ...common, email: email.trim(), password } });
    } else {
      const changedEmail = email.trim().toLowerCase() !== (agent.email ?? '') ? email.trim() : undefined;
      await store.call(ConsoleManageAgentDocument, {
        id: agent.id,
        input: { ...common, ...(changedEmail ? { email: changedEmail } : {}), ...(active !== agent.active ? { active } : {}) },
      });
      if (password) await store.call(ConsoleResetPasswordDocument, { id: agent.id, newPassword: password });
    }
    onDone(true);
  });

  return (
    <FormDialog
      title={agent ? `Edit ${agent.name}` : 'New agent'}
      titleId="agent-form-title"
      testId="sb-agent-form"
      onSubmit={save}
      error={error}
      busy={busy}
      save={{ label: 'Save', busyLabel: 'Saving…', testId: 'sb-agent-save' }}
      onCancel={() => onDone(false)}
    >
      <label>
        Name
        <input data-testid="sb-agent-name" required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <label>
        Email
        <input data-testid="sb-agent-email" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
      </label>
      <label>
        {agent ? 'New password (leave empty to keep it; the agent is signed out)' : 'Password'}
        <input data-testid="sb-agent-password" type="password" autoComplete="new-password" minLength={8} required={!agent} value={password} onChange={(e) => setPassword(e.target.value)} />
      </label>
      <label>
        Skills (comma-separated)
        <input data-testid="sb-agent-skills" value={skills} onChange={(e) => setSkills(e.target.value)} />
      </label>
      <label>
        Chats at once
        <input data-testid="sb-agent-capacity" type="number" min={0} max={100} value={capacity} onChange={(e) => setCapacity(e.target.value)} />
      </label>
      <label>
        Role
        <select data-testid="sb-agent-role" value={role} onChange={(e) => setRole(e.target.value as AgentRole)}>
          <option value="AGENT">Agent</option>
          <option value="SUPERVISOR">Supervisor</option>
        </select>
      </label>
      {agent && (
        <label className="check">
          <input data-testid="sb-agent-active" type="checkbox" checked={active} onChange={(e) => setActive(e.target.checked)} />
          Active (unticked: cannot sign in, its chats go back to the queue)
        </label>
      )}
    </FormDialog>
  );
}
