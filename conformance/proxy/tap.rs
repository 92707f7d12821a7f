//! A body that passes every frame on as it comes and keeps a bounded copy of the data for
//! judging: the client is never made to wait for the copy, and beyond the bound the body
//! still flows whole, only the copy stops (and says so).

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use http_body::{Body, Frame, SizeHint};
use tokio::sync::oneshot;

/// What a tap kept once its body ended, broke off or was dropped.
#[derive(Debug)]
pub struct Tapped {
    pub body: Bytes,
    /// The body was longer than the bound: `body` holds its start.
    pub truncated: bool,
    /// Why the body did not end normally, when it did not.
    pub error: Option<String>,
}

pub struct Tap<B: Body> {
    inner: B,
    kept: BytesMut,
    limit: usize,
    truncated: bool,
    done: Option<oneshot::Sender<Tapped>>,
}

impl<B: Body> Tap<B> {
    /// Wraps `inner`, keeping at most `limit` bytes; the receiver gets them at the end.
    pub fn new(inner: B, limit: usize) -> (Self, oneshot::Receiver<Tapped>) {
        let (sender, receiver) = oneshot::channel();
        (
            Self {
                inner,
                kept: BytesMut::new(),
                limit,
                truncated: false,
                done: Some(sender),
            },
            receiver,
        )
    }

    fn finish(&mut self, error: Option<String>) {
        if let Some(done) = self.done.take() {
            // Nobody waiting means nobody judges: nothing to do.
            let _ = done.send(Tapped {
                body: std::mem::take(&mut self.kept).freeze(),
                truncated: self.truncated,
                error,
            });
        }
    }
}

impl<B> Body for Tap<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    let room = this.limit.saturating_sub(this.kept.len());
                    if data.len() > room {
                        this.truncated = true;
                    }
                    this.kept.extend_from_slice(&data[..data.len().min(room)]);
                }
                if this.inner.is_end_stream() {
                    this.finish(None);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(error))) => {
                this.finish(Some(error.to_string()));
                Poll::Ready(Some(Err(error)))
            }
            Poll::Ready(None) => {
                this.finish(None);
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl<B: Body> Drop for Tap<B> {
    fn drop(&mut self) {
        // A body that says it has ended may never be polled for its end.
        if self.done.is_some() {
            let error = (!self.inner.is_end_stream())
                .then(|| "the body was not read to its end (the client went away)".to_owned());
            self.finish(error);
        }
    }
}
