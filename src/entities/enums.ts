export enum AgentStatus {
  ONLINE = 'ONLINE',
  AWAY = 'AWAY',
  OFFLINE = 'OFFLINE',
}

export enum AgentRole {
  AGENT = 'AGENT',
  SUPERVISOR = 'SUPERVISOR',
}

export enum SessionStatus {
  QUEUED = 'QUEUED',
  ACTIVE = 'ACTIVE',
  CLOSED = 'CLOSED',
}

export enum Author {
  VISITOR = 'VISITOR',
  AGENT = 'AGENT',
  SYSTEM = 'SYSTEM',
}

/** The audit trail's lifecycle steps. */
export enum EventKind {
  CREATED = 'created',
  QUEUED = 'queued',
  ASSIGNED = 'assigned',
  TRANSFERRED = 'transferred',
  REQUEUED = 'requeued',
  /** Taken back from an agent that sent nothing in time (desk: "No reply"). */
  REASSIGNED = 'reassigned',
  CLOSED = 'closed',
  RATED = 'rated',
  TAGGED = 'tagged',
  NOTED = 'noted',
  /** Its personal data was removed (eraseCustomer, retention); the event carries none. */
  ERASED = 'erased',
}
