import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DateTimeScalar } from './scalars';

/** The partners extension's webhook types (docs/contract/extensions/partners.graphql). */
export enum WebhookDeliveryStatus {
  PENDING = 'PENDING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
}
registerEnumType(WebhookDeliveryStatus, {
  name: 'WebhookDeliveryStatus',
  valuesConfig: {
    PENDING: { description: 'Waiting for its next attempt.' },
    FAILED: { description: 'Every attempt of the schedule failed, or the endpoint answered 410.' },
  },
});

@ObjectType()
export class WebhookEndpoint {
  @Field(() => ID)
  id!: string;
  @Field(() => String, { description: 'http or https URL.' })
  url!: string;
  @Field(() => [String], { description: 'Event types it receives, e.g. "message.created"; ["*"] for all.' })
  events!: string[];
  @Field(() => String, { nullable: true })
  description!: string | null;
  @Field(() => Boolean)
  enabled!: boolean;
  @Field(() => String, { nullable: true, description: 'Why the server disabled it (410 Gone, failing for 5 days), null otherwise.' })
  disabledReason!: string | null;
  @Field(() => DateTimeScalar)
  createdAt!: Date;
}

@ObjectType()
export class CreateWebhookEndpointPayload {
  @Field(() => WebhookEndpoint)
  endpoint!: WebhookEndpoint;
  @Field(() => String, { description: 'Signing secret, "whsec_" + base64: shown at creation and rotation only.' })
  secret!: string;
}

@ObjectType()
export class WebhookDelivery {
  @Field(() => ID, { description: 'Also the webhook-id header: the same on every attempt and on replays of it.' })
  id!: string;
  @Field(() => ID)
  endpointId!: string;
  @Field(() => String, { description: 'The event type, e.g. "chat.closed".' })
  event!: string;
  @Field(() => WebhookDeliveryStatus)
  status!: WebhookDeliveryStatus;
  @Field(() => Int)
  attempts!: number;
  @Field(() => Int, { nullable: true, description: 'HTTP status of the last attempt; null when it got none (timeout, refused).' })
  responseStatus!: number | null;
  @Field(() => String, { nullable: true, description: 'Why the last attempt failed, e.g. "timeout after 10 s"; null after a success.' })
  lastError!: string | null;
  @Field(() => DateTimeScalar, { nullable: true })
  lastAttemptAt!: Date | null;
  @Field(() => DateTimeScalar, { nullable: true })
  nextAttemptAt!: Date | null;
  @Field(() => DateTimeScalar)
  createdAt!: Date;
  @Field(() => String, { description: 'The exact JSON body that is (or was) sent.' })
  payload!: string;
}

@ObjectType()
export class WebhookDeliveryPage {
  @Field(() => [WebhookDelivery], { description: 'Newest first.' })
  deliveries!: WebhookDelivery[];
  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

@InputType()
export class CreateWebhookEndpointInput {
  @Field(() => String)
  url!: string;
  @Field(() => [String])
  events!: string[];
  @Field(() => String, { nullable: true })
  description?: string | null;
}

@InputType()
export class UpdateWebhookEndpointInput {
  @Field(() => String, { nullable: true })
  url?: string | null;
  @Field(() => [String], { nullable: true })
  events?: string[] | null;
  @Field(() => String, { nullable: true })
  description?: string | null;
  @Field(() => Boolean, { nullable: true })
  enabled?: boolean | null;
}
