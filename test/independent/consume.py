"""Reads intercom-cdc topics with Confluent's own client (read_committed) and its Schema Registry Avro
deserializer, and prints one JSON line per record: topic, id, op, source.updated_at (ms), raw (or a
tombstone). The test compares these lines with the simulator's ground truth."""

import argparse
import faulthandler
import datetime
import json
import sys
import uuid

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient, topic_subject_name_strategy
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext


def millis(value):
    if isinstance(value, datetime.datetime):
        return int(value.timestamp() * 1000)
    return value


def main():
    # A hang prints where it is stuck (the test kills the process after 150 s).
    faulthandler.dump_traceback_later(120, exit=True)
    parser = argparse.ArgumentParser()
    parser.add_argument("--brokers", required=True)
    parser.add_argument("--registry", required=True)
    parser.add_argument("topics", nargs="+")
    args = parser.parse_args()

    registry = SchemaRegistryClient({"url": args.registry})
    # TopicNameStrategy, as the connector registers. The client's newer default first asks the registry
    # for "associations", a Confluent-only API that Apicurio does not answer promptly.
    deserialize = AvroDeserializer(registry, conf={"subject.name.strategy": topic_subject_name_strategy})
    consumer = Consumer(
        {
            "bootstrap.servers": args.brokers,
            "group.id": f"independent-{uuid.uuid4()}",
            "isolation.level": "read_committed",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    ends = {}
    for topic in args.topics:
        metadata = consumer.list_topics(topic, timeout=30)
        for partition in metadata.topics[topic].partitions:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=30)
            if high > low:
                ends[(topic, partition)] = high
    consumer.assign([TopicPartition(t, p, 0) for (t, p) in ends] or [])
    idle = 0
    while ends and idle < 100:
        message = consumer.poll(0.5)
        if message is None:
            idle += 1
        elif message.error():
            raise RuntimeError(str(message.error()))
        else:
            idle = 0
            topic = message.topic()
            key = deserialize(message.key(), SerializationContext(topic, MessageField.KEY))
            value = message.value()
            record = {"topic": topic, "partition": message.partition(), "offset": message.offset(), "id": key["id"]}
            if value is None:
                record["tombstone"] = True
            else:
                event = deserialize(value, SerializationContext(topic, MessageField.VALUE))
                record.update(
                    op=event["op"],
                    updated_at=millis(event["source"]["updated_at"]),
                    after_id=(event["after"] or {}).get("id"),
                    raw=event["raw"],
                )
            print(json.dumps(record))
        # positions pass transaction markers and aborted records too
        for tp in consumer.position([TopicPartition(t, p) for (t, p) in list(ends)]):
            if tp.offset >= ends[(tp.topic, tp.partition)]:
                del ends[(tp.topic, tp.partition)]
    consumer.close()
    if ends:
        print(f"did not reach the end of {sorted(ends)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
